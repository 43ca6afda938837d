// igsim — misbehaviour decisions (see misbehaviour.hpp).
#include "misbehaviour.hpp"

#include "shapes.hpp"

namespace igsim {

Misbehaviour::Transport Misbehaviour::next_request(const Behaviour& behaviour) {
    ++request_index_;  // 1-based: "every 3rd" hits requests 3, 6, 9...
    Transport t;
    t.delay_ms = behaviour.delay_ms;
    if (behaviour.drop_every > 0 && request_index_ % static_cast<std::uint64_t>(behaviour.drop_every) == 0)
        t.delivery = Delivery::drop;
    else if (behaviour.truncate_every > 0 && request_index_ % static_cast<std::uint64_t>(behaviour.truncate_every) == 0)
        t.delivery = Delivery::truncate;
    return t;
}

std::optional<Response> Misbehaviour::throttle(Behaviour& behaviour, const std::string& session_key,
                                               std::int64_t now) {
    const RateLimitRule& rule = behaviour.rate_limit;
    if (rule.limit > 0) {
        // Fixed windows that start at a key's first request. Refused
        // requests do not count, so a client that waits out Retry-After
        // gets through.
        Window& window = windows_[rule.per_session ? session_key : std::string("*")];
        if (window.count == 0 || now >= window.start + rule.window_seconds) window = Window{now, 0};
        if (window.count >= rule.limit) {
            const auto left = window.start + rule.window_seconds - now;
            const auto retry_after = rule.retry_after_seconds > 0 ? rule.retry_after_seconds : std::max<std::int64_t>(left, 1);
            Response r;
            r.status = 429;
            r.header("Content-Type", "application/json; charset=utf-8");
            r.header("Retry-After", std::to_string(retry_after));
            r.body = bodies::kRateLimited;
            return r;
        }
        ++window.count;
    }
    if (behaviour.please_wait_next > 0) {
        --behaviour.please_wait_next;
        Response r;
        r.status = 400;
        r.header("Content-Type", "application/json; charset=utf-8");
        r.body = bodies::kPleaseWait;
        return r;
    }
    return std::nullopt;
}

void Misbehaviour::reset() {
    request_index_ = 0;
    windows_.clear();
}

}  // namespace igsim
