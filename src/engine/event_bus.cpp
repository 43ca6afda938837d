// EventBus: a bounded queue for pollers plus synchronous subscribers.
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>

#include "core/json.hpp"
#include "gramkit/events.hpp"
#include "gramkit/time_format.hpp"

namespace gramkit {

std::string Event::to_json() const {
    std::string out;
    json::Writer w(out);
    w.begin_object();
    w.key("seq"), w.value(seq);
    w.key("type"), w.value(type);
    w.key("at"), w.value(format_timestamp_utc(at));
    w.key("data"), w.raw(data_json.empty() ? std::string_view("{}") : std::string_view(data_json));
    w.key("dropped"), w.value(dropped);
    w.end_object();
    return out;
}

struct EventBus::Impl {
    std::shared_ptr<const Clock> clock;
    std::size_t capacity;
    mutable std::mutex mu;
    std::condition_variable cv;
    std::deque<Event> queue;
    std::uint64_t next_seq = 1;
    std::uint64_t dropped_pending = 0;  // lost since the last event a poller took
    std::uint64_t dropped_total = 0;
    bool closed = false;
    // Subscribers are called under their own lock so publishers on several
    // threads deliver one event at a time, in seq order.
    std::mutex subscribers_mu;
    std::map<std::uint64_t, Callback> subscribers;
    std::uint64_t next_subscriber = 1;
};

EventBus::EventBus(std::shared_ptr<const Clock> clock, std::size_t capacity) : impl_(std::make_unique<Impl>()) {
    impl_->clock = clock ? std::move(clock) : SystemClock::shared();
    impl_->capacity = capacity == 0 ? 1 : capacity;
}

EventBus::~EventBus() { close(); }

void EventBus::publish(std::string type, std::string data_json) {
    std::lock_guard deliver(impl_->subscribers_mu);
    Event e;
    {
        std::lock_guard g(impl_->mu);
        e.seq = impl_->next_seq++;
        e.type = std::move(type);
        e.at = impl_->clock->now();
        e.data_json = std::move(data_json);
        if (impl_->queue.size() >= impl_->capacity) {
            // A slow poller loses the oldest events, and is told so.
            impl_->queue.pop_front();
            ++impl_->dropped_pending;
            ++impl_->dropped_total;
        }
        impl_->queue.push_back(e);
    }
    impl_->cv.notify_one();
    for (auto& [id, cb] : impl_->subscribers) {
        try {
            cb(e);
        } catch (...) {
            // A failing subscriber must not break the publisher (a service call).
        }
    }
}

std::optional<Event> EventBus::next(std::chrono::milliseconds timeout) {
    std::unique_lock g(impl_->mu);
    impl_->cv.wait_for(g, timeout, [&] { return impl_->closed || !impl_->queue.empty(); });
    if (impl_->queue.empty()) return std::nullopt;
    Event e = std::move(impl_->queue.front());
    impl_->queue.pop_front();
    e.dropped = impl_->dropped_pending;
    impl_->dropped_pending = 0;
    return e;
}

std::uint64_t EventBus::subscribe(Callback cb) {
    std::lock_guard g(impl_->subscribers_mu);
    auto id = impl_->next_subscriber++;
    impl_->subscribers.emplace(id, std::move(cb));
    return id;
}

void EventBus::unsubscribe(std::uint64_t id) {
    std::lock_guard g(impl_->subscribers_mu);
    impl_->subscribers.erase(id);
}

void EventBus::close() {
    {
        std::lock_guard g(impl_->mu);
        impl_->closed = true;
    }
    impl_->cv.notify_all();
}

std::size_t EventBus::capacity() const noexcept { return impl_->capacity; }

std::uint64_t EventBus::dropped_total() const {
    std::lock_guard g(impl_->mu);
    return impl_->dropped_total;
}

}  // namespace gramkit
