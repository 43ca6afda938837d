// igsim — deciding when to misbehave.
//
// Decisions depend only on the Behaviour, the order of requests and the
// (possibly fake) clock, never on real randomness, so a test that replays
// the same requests sees the same faults. Not thread-safe: App serialises
// calls under its mutex.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "behaviour.hpp"
#include "http_message.hpp"

namespace igsim {

class Misbehaviour {
public:
    /// Counts one request (admin requests are never counted) and returns the
    /// transport-level fault for it: drop (every drop_every-th request),
    /// truncate (every truncate_every-th) or normal; plus the delay.
    struct Transport {
        Delivery delivery = Delivery::normal;
        std::uint32_t delay_ms = 0;
    };
    Transport next_request(const Behaviour& behaviour);

    /// For API requests (not media files): a 429 or "please wait" answer
    /// that replaces the real one, or nullopt. `session_key` is the
    /// sessionid or "anonymous"; `now` is unix seconds.
    std::optional<Response> throttle(Behaviour& behaviour, const std::string& session_key, std::int64_t now);

    /// Forgets counters and rate windows.
    void reset();

private:
    struct Window {
        std::int64_t start = 0;
        int count = 0;
    };
    std::uint64_t request_index_ = 0;
    std::map<std::string, Window> windows_;
};

}  // namespace igsim
