// HttpClient: the synchronous policy around ExchangeEngine — redirects,
// retries with backoff, cookies, content decoding (see http_client.hpp).
// No Asio here: this unit compiles in seconds.
#include "net/http_client.hpp"

#include <algorithm>
#include <random>
#include <thread>

#include "net/content_decoding.hpp"
#include "net/cookie_jar.hpp"
#include "net/exchange_engine.hpp"

namespace gramkit::net {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct HttpClient::Hop {
    Url url;
    std::string method;
    Headers headers;
    std::string body;
};

struct HttpClient::HopResult {
    RawResponse response;
    int attempts = 0;
};

namespace {

bool is_token_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_redirect(int status) { return status == 301 || status == 302 || status == 303 || status == 307 || status == 308; }

void remove_header(Headers& headers, std::string_view name) {
    std::erase_if(headers, [&](const auto& h) { return iequals(h.first, name); });
}

bool same_origin(const Url& a, const Url& b) { return a.scheme == b.scheme && a.host == b.host && a.port == b.port; }

// The only caller headers that follow a redirect to another origin: none of
// them can carry a credential or a token (X-CSRFToken, X-IG-*, Cookie,
// Authorization, Proxy-Authorization and custom headers all stay behind).
// Content-Type is kept only while a body is still sent.
bool crosses_origin_safely(std::string_view name, bool body_sent) {
    for (auto safe : {"Accept", "Accept-Language", "Accept-Encoding", "User-Agent"})
        if (iequals(name, safe)) return true;
    return body_sent && iequals(name, "Content-Type");
}

// Longest header value a caller may give. Beast 1.74 throws length_error
// for a field over ~64 KiB; this leaves room for the jar's cookies (at most
// kMaxCookieHeaderBytes, cookie_jar.hpp) appended to a caller's Cookie header.
constexpr std::size_t kMaxHeaderValueBytes = 32u << 10;

double default_random() {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

// Transport failures that may be retried: nothing reached the origin
// (connect stage, any request), or an idempotent request whose connection
// broke before any response byte. Timeouts after the connect stage are not
// retried: the server is slow, and the total budget is better spent
// reporting that than waiting again.
bool retryable_failure(const ExchangeOutcome& x, bool idempotent) {
    if (x.stage == FailureStage::connect) return idempotent || !x.request_sent;
    if (!idempotent) return false;
    const bool broke_before_answer = (x.stage == FailureStage::send || x.stage == FailureStage::receive) && !x.response_started;
    return broke_before_answer && x.response.error().code == ErrorCode::unavailable;
}

}  // namespace

HttpClient::HttpClient(ClientOptions options, std::unique_ptr<ExchangeEngine> engine)
    : options_(std::move(options)), engine_(std::move(engine)) {}

HttpClient::~HttpClient() = default;

Result<std::unique_ptr<HttpClient>> HttpClient::create(ClientOptions options) {
    if (options.max_redirects < 0) return fail(ErrorCode::invalid_argument, "max_redirects must be >= 0", "max_redirects");
    if (options.retry.max_attempts < 1) return fail(ErrorCode::invalid_argument, "retry.max_attempts must be >= 1", "retry.max_attempts");
    if (!options.clock) options.clock = SystemClock::shared();
    if (!options.sleep) options.sleep = [](milliseconds d) { std::this_thread::sleep_for(d); };
    if (!options.random) options.random = default_random;
    EngineOptions engine_options;
    engine_options.ca_file = options.ca_file;
    engine_options.verify_peer = options.verify_peer;
    engine_options.max_response_bytes = options.max_response_bytes;
    engine_options.max_header_bytes = options.max_header_bytes;
    engine_options.max_idle_per_host = options.pool.max_idle_per_host;
    engine_options.idle_timeout = options.pool.idle_timeout;
    GK_ASSIGN_OR_RETURN(auto engine, ExchangeEngine::create(engine_options));
    return std::unique_ptr<HttpClient>(new HttpClient(std::move(options), std::move(engine)));
}

std::size_t HttpClient::idle_connections() const { return engine_->idle_connections(); }

Result<HttpResponse> HttpClient::send(const HttpRequest& request) {
    try {
        return send_unguarded(request);
    } catch (const std::exception& e) {
        return fail(ErrorCode::internal, std::string("HTTP client failure: ") + e.what());
    }
}

Result<HttpResponse> HttpClient::send_unguarded(const HttpRequest& request) {
    auto parsed = parse_url(request.url);
    if (!parsed) return fail(ErrorCode::invalid_argument, "invalid request URL: " + parsed.error().message, "url");
    if (request.method.empty() || !std::all_of(request.method.begin(), request.method.end(), is_token_char))
        return fail(ErrorCode::invalid_argument, "invalid HTTP method", "method");
    for (const auto& [name, value] : request.headers) {
        // CR/LF in a value would let a caller-supplied string inject
        // headers or a second request; Beast writes values verbatim.
        if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_char))
            return fail(ErrorCode::invalid_argument, "invalid header name '" + name + "'", "headers");
        if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
            return fail(ErrorCode::invalid_argument, "header " + name + " contains CR, LF or NUL", "headers");
        if (value.size() > kMaxHeaderValueBytes)
            return fail(ErrorCode::invalid_argument,
                        "header " + name + " is longer than " + std::to_string(kMaxHeaderValueBytes) + " bytes", "headers");
    }
    if (request.body.size() > options_.max_request_bytes)
        return fail(ErrorCode::invalid_argument,
                    "request body of " + std::to_string(request.body.size()) + " bytes exceeds max_request_bytes (" +
                        std::to_string(options_.max_request_bytes) + ")",
                    "body");
    if (request.proxy && (request.proxy->host.empty() || request.proxy->port == 0))
        return fail(ErrorCode::invalid_argument, "proxy needs a host and a non-zero port", "proxy");

    const Timeouts timeouts = request.timeouts.value_or(options_.timeouts);
    const auto deadline = SteadyClock::now() + timeouts.total;
    Hop hop{std::move(*parsed), request.method, request.headers, request.body};

    for (int redirects = 0;;) {
        GK_ASSIGN_OR_RETURN(HopResult result, send_hop(hop, request, timeouts, deadline));
        RawResponse& raw = result.response;
        const auto location = find_header(raw.headers, "Location");
        if (request.follow_redirects && is_redirect(raw.status) && location) {
            if (redirects >= options_.max_redirects)
                return fail(ErrorCode::upstream_error, "too many redirects (max_redirects " +
                                                           std::to_string(options_.max_redirects) + "), last from " +
                                                           hop.url.redacted());
            auto next = resolve_url(hop.url, *location);
            if (!next)
                return fail(ErrorCode::upstream_error,
                            "invalid redirect Location from " + hop.url.redacted() + ": " + next.error().message);
            if (hop.url.is_https() && !next->is_https())
                return fail(ErrorCode::upstream_error, "refusing to follow a redirect from https (" + hop.url.host_port() +
                                                           ") to plain http (" + next->host_port() + ")");
            // 303 always, and 301/302 after a POST (what every browser does),
            // turn into a GET without body; 307/308 repeat the request as is.
            const bool to_get = (raw.status == 303 && !iequals(hop.method, "HEAD")) ||
                                ((raw.status == 301 || raw.status == 302) && iequals(hop.method, "POST"));
            const bool cross_origin = !same_origin(hop.url, *next);
            // A body written for one origin is not replayed to another: a
            // cross-origin 307/308 that would repeat it goes back to the
            // caller as the response, unfollowed.
            const bool follow = !(cross_origin && !to_get && !hop.body.empty());
            if (follow) {
                if (to_get) {
                    hop.method = "GET";
                    hop.body.clear();
                    for (auto name : {"Content-Length", "Content-Type", "Content-Encoding", "Transfer-Encoding"})
                        remove_header(hop.headers, name);
                }
                // Only a safe list of caller headers crosses to another
                // origin (credentials, CSRF tokens, custom headers do not);
                // the cookie jar decides cookies per hop on its own.
                if (cross_origin) {
                    const bool body_sent = !hop.body.empty();
                    std::erase_if(hop.headers, [&](const auto& h) { return !crosses_origin_safely(h.first, body_sent); });
                }
                hop.url = std::move(*next);
                ++redirects;
                continue;
            }
        }

        HttpResponse response;
        response.status = raw.status;
        // Nothing to decode: HEAD, 204/304 (no body by definition) and any
        // empty body — an empty gzip/deflate stream is not valid zlib input,
        // and a bodiless 429 "encoded" by a proxy is still a 429.
        const bool has_content = !iequals(hop.method, "HEAD") && raw.status != 204 && raw.status != 304 && !raw.body.empty();
        if (auto encoding = find_header(raw.headers, "Content-Encoding"); encoding && has_content) {
            auto decoded = decode_content(*encoding, raw.body, options_.max_response_bytes);
            if (!decoded)
                return fail(decoded.error().code, "response from " + hop.url.host_port() + ": " + decoded.error().message);
            response.body = std::move(*decoded);
        } else {
            response.body = std::move(raw.body);
        }
        response.headers = std::move(raw.headers);
        response.final_url = hop.url.to_string();
        response.redirects = redirects;
        response.attempts = result.attempts;
        return response;
    }
}

Result<HttpClient::HopResult> HttpClient::send_hop(const Hop& hop, const HttpRequest& request, const Timeouts& timeouts,
                                                   SteadyClock::time_point deadline) {
    const bool idempotent = request.idempotent.value_or(is_idempotent_method(hop.method));
    for (int attempt = 1;; ++attempt) {
        ExchangeRequest exchange;
        exchange.url = hop.url;
        exchange.proxy = request.proxy;
        exchange.method = hop.method;
        exchange.headers = hop.headers;
        exchange.body = hop.body;
        exchange.idempotent = idempotent;
        exchange.timeouts = timeouts;
        exchange.deadline = deadline;
        Headers& headers = exchange.headers;
        if (!has_header(headers, "Host")) headers.emplace_back("Host", hop.url.authority());
        if (!has_header(headers, "User-Agent") && !options_.user_agent.empty())
            headers.emplace_back("User-Agent", options_.user_agent);
        if (!has_header(headers, "Accept-Encoding")) headers.emplace_back("Accept-Encoding", "gzip, deflate");
        if (request.cookies) {
            // Read per attempt: a retried response may have set cookies.
            const std::string from_jar = request.cookies->cookie_header_for(hop.url);
            if (!from_jar.empty()) {
                auto existing = std::find_if(headers.begin(), headers.end(), [](const auto& h) { return iequals(h.first, "Cookie"); });
                if (existing != headers.end()) existing->second += "; " + from_jar;
                else headers.emplace_back("Cookie", from_jar);
            }
        }

        ExchangeOutcome outcome = engine_->perform(exchange);
        if (outcome.response && request.cookies) request.cookies->update_from_response(hop.url, outcome.response->headers);

        bool retry = false;
        std::optional<milliseconds> retry_after;
        if (outcome.response) {
            const int status = outcome.response->status;
            retry = idempotent && is_retryable_status(status) && (status != 429 || options_.retry.retry_on_429);
            if (retry) {
                if (auto value = find_header(outcome.response->headers, "Retry-After")) {
                    retry_after = parse_retry_after(*value, options_.clock->now());
                    // Longer than we are willing to block: the caller's
                    // cooldown logic takes over with the response itself.
                    if (retry_after && *retry_after > options_.retry.max_retry_after) retry = false;
                }
            }
        } else {
            retry = retryable_failure(outcome, idempotent);
        }
        if (!retry || attempt >= options_.retry.max_attempts) {
            if (!outcome.response) return std::unexpected(std::move(outcome.response).error());
            return HopResult{std::move(*outcome.response), attempt};
        }
        const milliseconds delay =
            retry_after ? *retry_after
                        : backoff_delay(attempt, options_.retry.base_delay, options_.retry.max_delay, options_.random());
        if (SteadyClock::now() + delay >= deadline) {
            // No time left to wait and try again: report what we have.
            if (!outcome.response) return std::unexpected(std::move(outcome.response).error());
            return HopResult{std::move(*outcome.response), attempt};
        }
        options_.sleep(delay);
    }
}

}  // namespace gramkit::net
