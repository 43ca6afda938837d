// igsim — login flows (see auth.hpp).
#include "auth.hpp"

#include <algorithm>

#include "core/json.hpp"
#include "rng.hpp"
#include "shapes.hpp"
#include "totp.hpp"

namespace igsim {
namespace {

constexpr std::string_view kPasswordPrefix = "#PWD_INSTAGRAM_BROWSER:0:";

// enc_password is "#PWD_INSTAGRAM_BROWSER:0:<unix time>:<password>"
// (version 0 = plain text, what the web app sends without its key).
std::optional<std::string> password_from(const std::string& enc_password) {
    if (!enc_password.starts_with(kPasswordPrefix)) return std::nullopt;
    const auto rest = std::string_view(enc_password).substr(kPasswordPrefix.size());
    const auto colon = rest.find(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    if (!std::ranges::all_of(rest.substr(0, colon), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
    return std::string(rest.substr(colon + 1));
}

std::string cookie(const Request& request, std::string_view name, std::string_view value) {
    std::string out = std::string(name) + "=" + std::string(value) + "; Path=/; Max-Age=31536000";
    if (request.scheme == "https") out += "; Secure";
    if (name == "sessionid") out += "; HttpOnly";
    return out;
}

}  // namespace

Response json_response(int status, std::string body) {
    Response r;
    r.status = status;
    r.header("Content-Type", "application/json; charset=utf-8");
    r.body = std::move(body);
    return r;
}

Auth::Auth(const World& world, std::uint64_t seed) : world_(world), seed_(seed) {}

void Auth::add_accounts(const std::vector<BotAccount>& accounts) {
    for (const auto& account : accounts) {
        auto it = std::ranges::find(accounts_, account.username, &BotAccount::username);
        if (it != accounts_.end()) *it = account;
        else accounts_.push_back(account);
    }
}

const BotAccount* Auth::find_account(const std::string& username) const {
    auto it = std::ranges::find(accounts_, username, &BotAccount::username);
    return it == accounts_.end() ? nullptr : &*it;
}

std::string Auth::user_id_for(const BotAccount& account) const {
    if (!account.user_id.empty()) return account.user_id;
    if (const User* user = world_.find_user_by_name(account.username)) return user->id;
    Rng rng(derive_seed(seed_, "bot-user-id:" + account.username));
    return std::to_string(rng.between(40000000000ULL, 69999999999ULL));  // 11 digits, like recent accounts
}

// Tokens are deterministic (seed + a counter), like everything in igsim.
std::string Auth::token(std::string_view label, std::size_t length) {
    static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    Rng rng(derive_seed(seed_, label, ++token_counter_));
    std::string out;
    while (out.size() < length) out += kAlphabet[rng.next() % kAlphabet.size()];
    return out;
}

bool Auth::csrf_ok(const Request& request, const std::map<std::string, std::string>& cookies) {
    const std::string* header = request.header("x-csrftoken");
    auto it = cookies.find("csrftoken");
    return header && it != cookies.end() && !header->empty() && *header == it->second;
}

Response Auth::home_page(const Request& request) {
    Response r;
    r.header("Content-Type", "text/html; charset=utf-8");
    r.header("Set-Cookie", cookie(request, "csrftoken", token("csrf", 32)));
    r.header("Set-Cookie", cookie(request, "mid", token("mid", 28)));
    r.header("Set-Cookie", cookie(request, "ig_did", token("ig_did", 36)));
    r.body = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Instagram</title></head>"
             "<body><p>igsim: a simulated Instagram for tests.</p></body></html>\n";
    return r;
}

Response Auth::success(const Request& request, const BotAccount& account) {
    const auto user_id = user_id_for(account);
    const auto session_id = user_id + "%3A" + token("session", 14) + "%3A" + std::to_string(token_counter_ % 30);
    sessions_[session_id] = LoggedIn{account.username, user_id};
    std::string body;
    gramkit::json::Writer w(body);
    w.begin_object().key("user").value(true).key("userId").value(user_id).key("authenticated").value(true)
        .key("oneTapPrompt").value(false).key("status").value("ok").end_object();
    Response r = json_response(200, std::move(body));
    r.header("Set-Cookie", cookie(request, "sessionid", session_id));
    r.header("Set-Cookie", cookie(request, "ds_user_id", user_id));
    r.header("Set-Cookie", cookie(request, "csrftoken", token("csrf", 32)));  // rotated on login, as Instagram does
    return r;
}

Response Auth::login(const Request& request, const std::map<std::string, std::string>& form,
                     const std::map<std::string, std::string>& cookies) {
    if (!csrf_ok(request, cookies)) return json_response(403, std::string(bodies::kCsrfFailed));
    auto username = form.find("username");
    auto enc_password = form.find("enc_password");
    if (username == form.end() || enc_password == form.end() || username->second.empty())
        return json_response(400, R"({"message":"username and enc_password are required","status":"fail"})");
    auto password = password_from(enc_password->second);
    if (!password)
        return json_response(400, R"({"message":"enc_password must be #PWD_INSTAGRAM_BROWSER:0:<time>:<password>","status":"fail"})");
    const BotAccount* account = find_account(username->second);
    if (!account) return json_response(200, std::string(bodies::kUnknownLoginUser));
    if (*password != account->password || account->outcome == LoginOutcome::bad_password)
        return json_response(200, std::string(bodies::kBadPassword));

    switch (account->outcome) {
        case LoginOutcome::ok:
            return success(request, *account);
        case LoginOutcome::checkpoint: {
            // Fixture 11's shape.
            std::string body;
            gramkit::json::Writer w(body);
            w.begin_object().key("message").value("checkpoint_required").key("checkpoint_url")
                .value("/challenge/" + user_id_for(*account) + "/" + token("challenge", 10) + "/")
                .key("lock").value(false).key("flow_render_type").value(0).key("status").value("fail").end_object();
            return json_response(400, std::move(body));
        }
        case LoginOutcome::two_factor: {
            const auto identifier = token("2fa", 10);
            pending_two_factor_[identifier] = account->username;
            // Fixture 14's shape plus the fields the 2021+ web body adds.
            std::string body;
            gramkit::json::Writer w(body);
            const auto write_settings = [&] {
                w.begin_object().key("max_sms_count").value(2).key("resend_sms_delay_sec").value(60)
                    .key("robocall_after_max_sms").value(true).key("robocall_count_down_time_sec").value(30).end_object();
            };
            w.begin_object().key("message").value("").key("two_factor_required").value(true);
            w.key("two_factor_info").begin_object();
            w.key("pk").value(user_id_for(*account));
            w.key("username").value(account->username);
            w.key("sms_two_factor_on").value(false);
            w.key("totp_two_factor_on").value(true);
            w.key("whatsapp_two_factor_on").value(false);
            w.key("obfuscated_phone_number").value("0042");
            w.key("two_factor_identifier").value(identifier);
            w.key("show_messenger_code_option").value(false);
            w.key("phone_verification_settings");
            write_settings();
            w.end_object();
            w.key("phone_verification_settings");
            write_settings();
            w.key("error_type").value("two_factor_required");
            w.key("status").value("fail").end_object();
            return json_response(400, std::move(body));
        }
        case LoginOutcome::bad_password:
            break;
    }
    return json_response(200, std::string(bodies::kBadPassword));
}

Response Auth::two_factor(const Request& request, const std::map<std::string, std::string>& form,
                          const std::map<std::string, std::string>& cookies, std::int64_t now) {
    if (!csrf_ok(request, cookies)) return json_response(403, std::string(bodies::kCsrfFailed));
    auto get = [&](const char* key) -> std::string {
        auto it = form.find(key);
        return it == form.end() ? std::string() : it->second;
    };
    const auto identifier = get("identifier"), username = get("username"), code = get("verificationCode");
    auto pending = pending_two_factor_.find(identifier);
    if (pending == pending_two_factor_.end() || pending->second != username)
        return json_response(400, R"({"message":"Invalid two-factor identifier.","status":"fail","error_type":"invalid_identifier"})");
    const BotAccount* account = find_account(username);
    if (!account) return json_response(400, std::string(bodies::kBadTwoFactorCode));
    bool accepted = !account->two_factor_code.empty() && code == account->two_factor_code;
    if (!accepted && !account->totp_seed_base32.empty()) {
        if (auto key = base32_decode(account->totp_seed_base32)) accepted = totp_accepts(*key, now, code);
    }
    if (!accepted) return json_response(400, std::string(bodies::kBadTwoFactorCode));
    pending_two_factor_.erase(pending);
    return success(request, *account);
}

std::optional<LoggedIn> Auth::session(const std::map<std::string, std::string>& cookies) const {
    auto it = cookies.find("sessionid");
    if (it == cookies.end()) return std::nullopt;
    auto s = sessions_.find(it->second);
    if (s == sessions_.end()) return std::nullopt;
    return s->second;
}

}  // namespace igsim
