// One request to Instagram on behalf of one account: steps 1–3 and 5 of the
// pipeline in gramkit/instagram.hpp (account usable? limiter; sticky proxy;
// the session's cookies in and out; the action log). Interpreting the
// answer (step 4) is the service's job, which then calls record().
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "instagram/service.hpp"
#include "net/http_types.hpp"

namespace gramkit::instagram {

/// What to send and how to account for it.
struct Call {
    std::int64_t account_id = 0;
    std::string_view action;    // rate-limit action class and action-log action: login, profile, feed, hashtag, media
    std::string_view endpoint;  // rate-limit endpoint class: web, graphql, mobile
    std::string target;         // username, tag, id: for the action log
    net::HttpRequest request;
    /// Login may run on a login_failed account or one whose session is
    /// invalid; reads may not.
    bool for_login = false;
};

/// A response that arrived, with what the action log needs.
struct Exchange {
    net::HttpResponse response;
    std::optional<std::int64_t> proxy_id;
    std::int64_t latency_us = 0;
};

class RequestPipeline {
public:
    explicit RequestPipeline(ServiceDeps& deps) : d_(deps) {}

    /// Sends the call or says why not. A transport failure is recorded in
    /// the action log here (outcome = the error code's name) and reported
    /// against the proxy; a response is returned for the caller to
    /// interpret and record().
    Result<Exchange> send(Call& call);

    /// Writes the action-log row for an answered call.
    void record(const Call& call, const Exchange& exchange, std::string_view outcome);

private:
    struct Route {
        std::int64_t proxy_id = 0;
        net::ProxyConfig config;
        bool had_failures = false;
    };

    /// The account's session (nullopt: none yet), or why it cannot send.
    Result<std::optional<Session>> check_usable(const Account& account, bool for_login);
    Result<std::optional<Route>> route_for(const Account& account);
    void write_action(const Call& call, std::optional<std::int64_t> proxy_id, std::string_view outcome,
                      int http_status, std::int64_t latency_us);

    ServiceDeps& d_;
};

}  // namespace gramkit::instagram
