// One request on behalf of one account (see request_pipeline.hpp).
#include "instagram/request_pipeline.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "gramkit/time_format.hpp"
#include "net/cookie_jar.hpp"
#include "net/url.hpp"

namespace gramkit::instagram {
namespace {

std::string account_name(std::int64_t id) { return "account " + std::to_string(id); }

// The CSRF token the web app echoes in X-CSRFToken: the csrftoken cookie.
std::optional<std::string> csrf_token(const net::CookieJar& jar) {
    for (const auto& c : jar.to_cookies())
        if (c.name == "csrftoken") return c.value;
    return std::nullopt;
}

void add_header_if_absent(net::Headers& headers, std::string name, std::string value) {
    if (!net::has_header(headers, name)) headers.emplace_back(std::move(name), std::move(value));
}

// What an exchange did to the jar: cookies it set or changed, and the ones
// it removed as expired tombstones (a merge deletes those).
std::vector<Cookie> cookie_changes(const std::vector<Cookie>& before, const std::vector<Cookie>& after) {
    auto same_slot = [](const Cookie& a, const Cookie& b) {
        return a.name == b.name && a.domain == b.domain && a.path == b.path;
    };
    std::vector<Cookie> changes;
    for (const auto& c : after) {
        if (std::find(before.begin(), before.end(), c) == before.end()) changes.push_back(c);
    }
    for (const auto& c : before) {
        const bool kept = std::any_of(after.begin(), after.end(), [&](const Cookie& a) { return same_slot(a, c); });
        if (!kept) {
            Cookie gone = c;
            gone.expires = Timestamp{};  // the epoch: already expired
            changes.push_back(std::move(gone));
        }
    }
    return changes;
}

std::string seconds_text(Duration d) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
    return std::to_string(ms / 1000) + "." + std::to_string((ms % 1000) / 100) + " s";
}

}  // namespace

Result<std::optional<Session>> RequestPipeline::check_usable(const Account& account, bool for_login) {
    switch (account.status) {
        case AccountStatus::active:
            break;
        case AccountStatus::login_failed:
            if (for_login) break;
            return fail(ErrorCode::failed_precondition,
                        account_name(account.id) + " is login_failed: log in again (instagram.login)", "status");
        case AccountStatus::cooldown:
            return fail(ErrorCode::rate_limited,
                        account_name(account.id) + " is cooling down until " +
                            (account.cooldown_until ? format_timestamp_utc(*account.cooldown_until) : "later"),
                        "cooldown");
        case AccountStatus::challenge_required:
            return fail(ErrorCode::failed_precondition,
                        account_name(account.id) + " has a checkpoint/challenge to be solved by a person", "status");
        case AccountStatus::paused:
        case AccountStatus::disabled:
            return fail(ErrorCode::failed_precondition,
                        account_name(account.id) + " is " + std::string(to_string(account.status)), "status");
    }
    auto session = d_.sessions.get(account.id);
    if (!session) {
        if (session.error().code != ErrorCode::not_found) return fail(std::move(session).error());
        return std::optional<Session>{};
    }
    if (!session->valid && !for_login) {
        return fail(ErrorCode::failed_precondition,
                    account_name(account.id) + "'s session is invalid (" + session->invalid_reason +
                        "): log in again (instagram.login)",
                    "session");
    }
    return std::optional<Session>(std::move(*session));
}

Result<std::optional<RequestPipeline::Route>> RequestPipeline::route_for(const Account& account) {
    std::optional<std::int64_t> proxy_id = account.proxy_id;
    if (proxy_id) {
        // Sticky, unless the proxy went unhealthy: then the assignment moves
        // the account to a healthy proxy with room. An account that has a
        // proxy never silently goes direct (that would show the host's own
        // address for it).
        GK_ASSIGN_OR_RETURN(Proxy current, d_.proxies.get(*proxy_id));
        if (current.health == ProxyHealth::unhealthy) {
            auto moved = d_.proxies.assign(account.id);
            if (!moved) {
                return fail(ErrorCode::unavailable,
                            account_name(account.id) + "'s proxy " + std::to_string(current.id) +
                                " is unhealthy and no healthy proxy can take the account: " + moved.error().message,
                            "proxy");
            }
            proxy_id = moved->id;
        }
    } else {
        // First use: sticky least-loaded assignment. An empty or full pool
        // (unavailable) means direct, unless the host requires proxies;
        // any other failure (the database) is an error, not a reason to go
        // direct.
        auto assigned = d_.proxies.assign(account.id);
        if (assigned) {
            proxy_id = assigned->id;
        } else if (assigned.error().code != ErrorCode::unavailable) {
            return fail(std::move(assigned).error());
        } else if (d_.options.require_proxy) {
            return fail(ErrorCode::failed_precondition,
                        account_name(account.id) + " has no proxy and none can be assigned: " +
                            assigned.error().message,
                        "proxy");
        } else {
            return std::optional<Route>{};
        }
    }
    GK_ASSIGN_OR_RETURN(Proxy proxy, d_.proxies.get(*proxy_id));
    GK_ASSIGN_OR_RETURN(std::string url, d_.proxies.reveal_url(*proxy_id));
    GK_ASSIGN_OR_RETURN(ProxyUrl parsed, parse_proxy_url(url));
    Route route;
    route.proxy_id = proxy.id;
    route.had_failures = proxy.failure_count > 0;
    switch (parsed.scheme) {
        case ProxyScheme::http:
            route.config.kind = net::ProxyConfig::http;
            break;
        case ProxyScheme::socks5:
            route.config.kind = net::ProxyConfig::socks5;
            break;
        case ProxyScheme::https:
            return fail(ErrorCode::failed_precondition,
                        "proxy " + std::to_string(proxy.id) + " (" + proxy.url +
                            "): TLS to the proxy (https://) is not supported; use http:// (CONNECT) or socks5://",
                        "proxy");
    }
    route.config.host = parsed.host;
    route.config.port = parsed.port;
    route.config.username = parsed.username.value_or("");
    route.config.password = parsed.password.value_or("");
    return std::optional<Route>(std::move(route));
}

Result<Exchange> RequestPipeline::send(Call& call) {
    GK_ASSIGN_OR_RETURN(Account account, d_.accounts.get(call.account_id));
    GK_ASSIGN_OR_RETURN(std::optional<Session> session, check_usable(account, call.for_login));
    GK_ASSIGN_OR_RETURN(std::optional<Route> route, route_for(account));

    ratelimit::Request limit{{"account:" + std::to_string(account.id), "action:" + std::string(call.action),
                              "endpoint:" + std::string(call.endpoint)}};
    if (route) limit.parts.push_back("proxy:" + std::to_string(route->proxy_id));
    GK_ASSIGN_OR_RETURN(ratelimit::Verdict verdict, d_.limiter.check(limit));
    if (!verdict.allowed) {
        return fail(ErrorCode::rate_limited,
                    "rate limit '" + verdict.rule + "' holds " + account_name(account.id) + " for " +
                        seconds_text(verdict.retry_after),
                    verdict.rule);
    }

    net::CookieJar jar(d_.clock);
    const std::string user_agent =
        session && !session->device.user_agent.empty() ? session->device.user_agent : d_.options.user_agent;
    std::vector<Cookie> loaded;
    if (session) {
        auto cookies = d_.sessions.load_cookies(account.id);
        // not_found: the session was deleted since it was read; send without.
        if (!cookies && cookies.error().code != ErrorCode::not_found) return fail(std::move(cookies).error());
        if (cookies) loaded = std::move(*cookies);
        jar.load(loaded);
    }
    const std::uint64_t jar_version = jar.version();

    net::HttpRequest& req = call.request;
    add_header_if_absent(req.headers, "User-Agent", user_agent);
    add_header_if_absent(req.headers, "X-IG-App-ID", d_.options.app_id);
    add_header_if_absent(req.headers, "X-Requested-With", "XMLHttpRequest");
    add_header_if_absent(req.headers, "Accept", "*/*");
    add_header_if_absent(req.headers, "Accept-Language", "en-US,en;q=0.9");
    if (auto token = csrf_token(jar)) add_header_if_absent(req.headers, "X-CSRFToken", *token);
    req.cookies = &jar;
    if (route) req.proxy = route->config;

    const auto started = std::chrono::steady_clock::now();
    auto response = d_.http.send(req);
    const auto latency_us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
    req.cookies = nullptr;  // the jar dies with this frame

    // Cookies first: even an error answer may carry new ones (a fresh
    // csrftoken), and the login step needs them saved. Only what this
    // exchange changed is merged, so a concurrent request (or a login) of
    // the same account keeps what it saved meanwhile.
    if (jar.version() != jar_version) {
        if (auto saved = d_.sessions.apply_response_cookies(account.id, cookie_changes(loaded, jar.to_cookies()));
            !saved) {
            d_.log.warn("instagram", "session.save_failed",
                        {{"account_id", std::to_string(account.id)}, {"error", saved.error().message}});
        }
    }

    const std::optional<std::int64_t> proxy_id = route ? std::optional(route->proxy_id) : std::nullopt;
    if (!response) {
        write_action(call, proxy_id, to_string(response.error().code), 0, latency_us);
        const ErrorCode code = response.error().code;
        // Failures that may be the proxy's: unreachable, too slow, or refusing
        // its credentials (permission_denied only ever comes from a proxy).
        if (route && (code == ErrorCode::unavailable || code == ErrorCode::timeout || code == ErrorCode::permission_denied))
            (void)d_.proxies.report_failure(route->proxy_id);
        return fail(std::move(response).error());
    }
    if (route && route->had_failures) (void)d_.proxies.report_success(route->proxy_id);
    return Exchange{std::move(*response), proxy_id, latency_us};
}

void RequestPipeline::record(const Call& call, const Exchange& exchange, std::string_view outcome) {
    write_action(call, exchange.proxy_id, outcome, exchange.response.status, exchange.latency_us);
}

void RequestPipeline::write_action(const Call& call, std::optional<std::int64_t> proxy_id, std::string_view outcome,
                                   int http_status, std::int64_t latency_us) {
    storage::ActionRecord a;
    a.id = d_.ids.next();
    a.account_id = call.account_id;
    a.proxy_id = proxy_id;
    a.action = std::string(call.action);
    a.target = call.target;
    a.outcome = std::string(outcome);
    a.http_status = http_status;
    a.latency_us = latency_us;
    a.created_at = d_.clock->now();
    // The request happened whether or not the log accepts it; a lost row
    // is logged, not turned into a failed call.
    if (auto s = d_.actions.insert(a); !s)
        d_.log.warn("instagram", "action_log.write_failed", {{"error", s.error().message}});
}

}  // namespace gramkit::instagram
