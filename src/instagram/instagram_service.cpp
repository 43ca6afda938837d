// The Instagram service: login and the read endpoints over the request
// pipeline, with every answer interpreted (gramkit/instagram.hpp).
#include <string>
#include <utility>

#include "core/totp.hpp"
#include "instagram/account_health.hpp"
#include "instagram/endpoints.hpp"
#include "instagram/parse.hpp"
#include "instagram/raw_capture.hpp"
#include "instagram/request_pipeline.hpp"
#include "instagram/service.hpp"
#include "net/retry_policy.hpp"

namespace gramkit::instagram {
namespace {

constexpr std::string_view kFormContentType = "application/x-www-form-urlencoded";

net::HttpRequest get(std::string url) {
    net::HttpRequest r;
    r.method = "GET";
    r.url = std::move(url);
    return r;
}

net::HttpRequest post_form(std::string url, std::string body, std::string_view referer) {
    net::HttpRequest r;
    r.method = "POST";
    r.url = std::move(url);
    r.body = std::move(body);
    r.headers.emplace_back("Content-Type", std::string(kFormContentType));
    r.headers.emplace_back("Referer", std::string(referer));
    r.idempotent = false;  // a login must never be sent twice by the transport
    // The body may carry the password (enc_password version 0 is plaintext
    // inside TLS): a redirect is an answer to report, never to follow.
    r.follow_redirects = false;
    return r;
}

bool is_success(int status) noexcept { return status >= 200 && status < 300; }

// /p/<code>/?__a=1&__d=dis answered with graphql.shortcode_media until about
// 2020 and with the media-info shape (items[]) since; accept both.
Result<Post> parse_shortcode_answer(std::string_view body) {
    auto graphql = parse_shortcode_media(body);
    if (graphql || graphql.error().code != ErrorCode::upstream_error) return graphql;
    if (auto items = parse_media_info(body)) return items;
    return graphql;
}

// Parser errors that mean "Instagram said no" rather than "we could not
// read the document": they carry an answer to apply to the account.
bool is_refusal(ErrorCode code) noexcept {
    return code == ErrorCode::rate_limited || code == ErrorCode::unauthenticated ||
           code == ErrorCode::failed_precondition;
}

class InstagramServiceImpl final : public InstagramService {
public:
    explicit InstagramServiceImpl(ServiceDeps deps)
        : d_(std::move(deps)), pipeline_(d_), health_{d_.accounts, d_.sessions, d_.limiter, *d_.clock, d_.log, d_.options} {}

    Result<LoginResult> login(const LoginRequest& request) override;

    Result<Profile> profile(std::int64_t account_id, std::string_view username) override {
        GK_TRY(endpoints::check_username(username));
        Call call{account_id, "profile", "web", std::string(username),
                  get(endpoints::profile_url(d_.options.web_base_url, username))};
        return fetch(call, parse_web_profile_info);
    }

    Result<PostsPage> posts(const PostsRequest& request) override {
        GK_TRY(endpoints::check_username(request.username));
        if (request.cursor && request.cursor->empty())
            return fail(ErrorCode::invalid_argument, "'cursor' must not be empty (omit it for the first page)", "cursor");
        const std::string web = d_.options.web_base_url;
        net::HttpRequest req = post_form(
            endpoints::graphql_url(web),
            endpoints::timeline_form(d_.options.timeline_doc_id, request.username, d_.options.page_size, request.cursor),
            endpoints::home_url(web) + request.username + "/");
        req.idempotent = true;  // a read, even though it is a POST
        Call call{request.account_id, "feed", "graphql", request.username, std::move(req)};
        return fetch(call, parse_user_timeline);
    }

    Result<HashtagPage> hashtag(const HashtagRequest& request) override {
        GK_ASSIGN_OR_RETURN(std::string tag, endpoints::normalize_tag(request.tag));
        if (request.cursor && request.cursor->empty())
            return fail(ErrorCode::invalid_argument, "'cursor' must not be empty (omit it for the first page)", "cursor");
        Call call{request.account_id, "hashtag", "web", tag,
                  get(endpoints::hashtag_url(d_.options.web_base_url, tag, request.cursor))};
        return fetch(call, parse_hashtag);
    }

    Result<Post> media(std::int64_t account_id, std::string_view id_or_shortcode) override {
        if (endpoints::is_media_id(id_or_shortcode)) {
            Call call{account_id, "media", "mobile", std::string(id_or_shortcode),
                      get(endpoints::media_info_url(d_.options.api_base_url, id_or_shortcode))};
            return fetch(call, parse_media_info);
        }
        if (!endpoints::is_shortcode(id_or_shortcode))
            return fail(ErrorCode::invalid_argument, "'id' must be a numeric media id or a shortcode", "id");
        Call call{account_id, "media", "web", std::string(id_or_shortcode),
                  get(endpoints::shortcode_url(d_.options.web_base_url, id_or_shortcode))};
        return fetch(call, parse_shortcode_answer);
    }

private:
    // Sends, then interprets: a parsed document, or the answer applied to
    // the account and returned as its typed error. Every answer is logged.
    template <class T>
    Result<T> fetch(Call& call, Result<T> (*parse)(std::string_view)) {
        GK_ASSIGN_OR_RETURN(Exchange ex, pipeline_.send(call));
        const net::HttpResponse& r = ex.response;
        if (is_success(r.status)) {
            Result<T> parsed = parse(r.body);
            if (parsed) {
                pipeline_.record(call, ex, "ok");
                note_raw_body(call.action, r.body);  // for an open RawBodyCapture (raw_capture.hpp)
                return parsed;
            }
            if (!is_refusal(parsed.error().code)) {
                pipeline_.record(call, ex, to_string(parsed.error().code));
                return parsed;
            }
        }
        return refuse(call, ex);
    }

    // A non-success answer (or a success status carrying an error body).
    std::unexpected<Error> refuse(const Call& call, const Exchange& ex) {
        const net::HttpResponse& r = ex.response;
        if (r.status == 404) {
            pipeline_.record(call, ex, "not_found");
            return fail(ErrorCode::not_found, "instagram: no " + std::string(call.action) + " '" + call.target + "'",
                        call.target);
        }
        LoginResult outcome = classify_response(r.status, r.body);
        if (outcome.ok()) {
            // A failure status with a body that claims success: unusable.
            outcome.kind = ApiErrorKind::generic;
            outcome.message = "HTTP " + std::to_string(r.status);
        }
        pipeline_.record(call, ex, to_string(outcome.kind));
        return std::unexpected(health_.apply(call.account_id, ex.proxy_id, outcome, retry_after(r)));
    }

    std::optional<std::chrono::milliseconds> retry_after(const net::HttpResponse& r) const {
        auto value = r.header("Retry-After");
        if (!value) return std::nullopt;
        return net::parse_retry_after(*value, d_.clock->now());
    }

    // Sends a login-step call and classifies the answer (logged). On the
    // two-factor step, an answer that only says "no" (not a block, not a
    // checkpoint) is a wrong code: the account itself is fine.
    Result<LoginResult> login_step(Call& call, bool two_factor_step = false) {
        GK_ASSIGN_OR_RETURN(Exchange ex, pipeline_.send(call));
        if (ex.response.status == 404) return refuse(call, ex);
        LoginResult outcome = classify_response(ex.response.status, ex.response.body);
        pipeline_.record(call, ex, to_string(outcome.kind));
        if (outcome.ok() || outcome.kind == ApiErrorKind::two_factor_required) return outcome;
        if (two_factor_step && to_error_code(outcome.kind) != ErrorCode::rate_limited &&
            to_error_code(outcome.kind) != ErrorCode::failed_precondition) {
            return fail(ErrorCode::unauthenticated, "instagram: the two-factor code was not accepted",
                        "two_factor_code");
        }
        return std::unexpected(health_.apply(call.account_id, ex.proxy_id, outcome, retry_after(ex.response)));
    }

    Result<LoginResult> logged_in(const Account& account, LoginResult outcome) {
        // Cookies from the exchanges are already merged (validity left
        // alone); a successful login is what makes the session valid again.
        // save_cookies with no cookies merges nothing and marks it valid.
        GK_TRY(d_.sessions.save_cookies(account.id, {}));
        if (account.status == AccountStatus::login_failed) {
            auto changed = d_.accounts.change_status(account.id, AccountStatus::active, "instagram: login succeeded");
            if (!changed && changed.error().code != ErrorCode::conflict) return fail(std::move(changed).error());
        }
        return outcome;
    }

    ServiceDeps d_;
    RequestPipeline pipeline_;
    AccountHealth health_;
};

Result<LoginResult> InstagramServiceImpl::login(const LoginRequest& request) {
    GK_ASSIGN_OR_RETURN(Account account, d_.accounts.get(request.account_id));
    const std::string& web = d_.options.web_base_url;
    const std::string referer = endpoints::home_url(web);

    std::optional<std::string> identifier = request.two_factor_identifier;
    if (!identifier) {
        // 1. The home page sets the csrftoken cookie the login form echoes.
        Call home{account.id, "login", "web", account.username, get(endpoints::home_url(web)), true};
        GK_ASSIGN_OR_RETURN(Exchange ex, pipeline_.send(home));
        if (!is_success(ex.response.status)) return refuse(home, ex);
        pipeline_.record(home, ex, "ok");

        // 2. Username and password (the password only ever goes into this body).
        GK_ASSIGN_OR_RETURN(std::string password, d_.accounts.reveal_password(account.id));
        const auto unix_seconds =
            std::chrono::duration_cast<std::chrono::seconds>(d_.clock->now().time_since_epoch()).count();
        Call attempt{account.id, "login", "web", account.username,
                     post_form(endpoints::login_url(web),
                               endpoints::form_body({{"username", account.username},
                                                     {"enc_password", endpoints::enc_password(password, unix_seconds)},
                                                     {"queryParams", "{}"},
                                                     {"optIntoOneTap", "false"}}),
                               referer),
                     true};
        GK_ASSIGN_OR_RETURN(LoginResult outcome, login_step(attempt));
        if (outcome.ok()) return logged_in(account, std::move(outcome));
        identifier = outcome.two_factor_identifier;
        if (!identifier) {
            return fail(ErrorCode::upstream_error, "instagram: two_factor_required without a two_factor_identifier",
                        "two_factor_identifier");
        }
        // Without a code to send, the caller resumes with the identifier.
        GK_ASSIGN_OR_RETURN(auto seed, d_.accounts.reveal_totp_seed(account.id));
        if (!request.two_factor_code && !seed) return outcome;
    }

    // 3. The two-factor step: the operator's code, or one from the stored seed.
    std::string code;
    if (request.two_factor_code) {
        code = *request.two_factor_code;
    } else {
        GK_ASSIGN_OR_RETURN(auto seed, d_.accounts.reveal_totp_seed(account.id));
        if (!seed) {
            return fail(ErrorCode::failed_precondition,
                        "account " + std::to_string(account.id) + " needs a two-factor code and has no TOTP seed",
                        "two_factor_code");
        }
        GK_ASSIGN_OR_RETURN(code, totp::code_at(*seed, d_.clock->now()));
    }
    if (code.empty() || code.size() > 16)
        return fail(ErrorCode::invalid_argument, "'two_factor_code' must be 1 to 16 characters", "two_factor_code");
    Call verify{account.id, "login", "web", account.username,
                post_form(endpoints::two_factor_url(web),
                          endpoints::form_body({{"username", account.username},
                                                {"verificationCode", code},
                                                {"identifier", *identifier},
                                                {"queryParams", "{}"},
                                                {"trust_signal", "true"}}),
                          referer),
                true};
    GK_ASSIGN_OR_RETURN(LoginResult outcome, login_step(verify, /*two_factor_step=*/true));
    if (!outcome.ok()) {
        return fail(ErrorCode::unauthenticated, "instagram: the two-factor code was not accepted",
                    "two_factor_code");
    }
    return logged_in(account, std::move(outcome));
}

}  // namespace

std::unique_ptr<InstagramService> make_instagram_service(ServiceDeps deps) {
    return std::make_unique<InstagramServiceImpl>(std::move(deps));
}

}  // namespace gramkit::instagram
