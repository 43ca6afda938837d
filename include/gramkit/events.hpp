// gramkit — the event bus (DESIGN.md §6): services publish what happened
// (`account.created`, `account.status_changed`, ...); hosts poll or
// subscribe.
//
// The queue for pollers is bounded: when it is full the oldest event is
// dropped, and the next event a poller receives says how many it lost
// (`dropped`). Subscribers (callbacks) are called synchronously on the
// thread that published the event, one call at a time per bus, and must be
// quick and must not call back into the bus.
// Thread-safety: every member may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "gramkit/clock.hpp"
#include "gramkit/export.hpp"

namespace gramkit {

struct GRAMKIT_API Event {
    std::uint64_t seq = 0;   // increasing per bus, starting at 1
    std::string type;        // "account.created", ...
    Timestamp at{};
    std::string data_json;   // a JSON object with the event's fields; never secrets
    std::uint64_t dropped = 0;  // events lost to this poller just before this one

    /// {"seq":1,"type":"...","at":"<RFC 3339>","data":{...},"dropped":0}
    std::string to_json() const;
};

class GRAMKIT_API EventBus {
public:
    using Callback = std::function<void(const Event&)>;

    explicit EventBus(std::shared_ptr<const Clock> clock, std::size_t capacity = 1024);
    ~EventBus();
    EventBus(const EventBus&) = delete;
    EventBus& operator=(const EventBus&) = delete;

    /// Stamps seq and time, queues the event for pollers and calls every
    /// subscriber. `data_json` must be a JSON object.
    void publish(std::string type, std::string data_json);
    /// Waits up to `timeout` for the next event; nullopt on timeout or after
    /// close(). A zero timeout only checks.
    std::optional<Event> next(std::chrono::milliseconds timeout);
    /// Registers a callback; returns an id for unsubscribe.
    std::uint64_t subscribe(Callback cb);
    void unsubscribe(std::uint64_t id);
    /// Wakes every waiting poller; later next() calls return at once.
    void close();
    std::size_t capacity() const noexcept;
    /// Events dropped because the poll queue was full, in total.
    std::uint64_t dropped_total() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace gramkit
