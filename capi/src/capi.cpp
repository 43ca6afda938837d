// The C ABI (capi/include/gramkit/gramkit.h): a thin shell around
// gramkit::Engine. Every extern "C" function that can fail runs its body
// through capi::guarded (last_error.hpp), so no exception crosses the ABI
// and every failure leaves a code and a message for gk_last_error().
//
// What this layer adds to Engine::call: NULL checks naming the argument,
// strict UTF-8 validation of every string that comes in, malloc'ed copies
// of every string that goes out, and the event polling/callback plumbing.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <string_view>

#include "capi_shared.hpp"
#include "gramkit/engine.hpp"
#include "gramkit/gramkit.h"
#include "last_error.hpp"
#include "utf8.hpp"

using gramkit::ErrorCode;
using gramkit::Status;
using gramkit::capi::guarded;
using gramkit::capi::null_argument;
using gramkit::capi::require_utf8;

namespace {

// Longest single wait of gk_next_event with a negative timeout; the loop
// around it ends when an event arrives or the engine closes (closing the
// bus wakes the wait at once, so the slice only bounds each wait_for).
constexpr std::chrono::milliseconds kWaitSlice{10'000};

// Set while a C event callback runs on this thread. gk_* functions that
// would publish events or change subscriptions refuse to run then: the bus
// holds its delivery lock, so they would deadlock.
thread_local bool t_in_event_callback = false;

Status require_not_in_callback(const char* fn) {
    if (t_in_event_callback) {
        return gramkit::fail(ErrorCode::failed_precondition,
                             std::string(fn) + ": must not be called from an event callback");
    }
    return {};
}

// A malloc'ed, NUL-terminated copy for the caller (released by gk_free).
char* copy_out(std::string_view text) {
    auto* out = static_cast<char*>(std::malloc(text.size() + 1));
    if (out == nullptr) throw std::bad_alloc();
    std::memcpy(out, text.data(), text.size());
    out[text.size()] = '\0';
    return out;
}

// Counts a thread inside gk_next_event so gk_engine_close can wait for it.
class PollerScope {
public:
    explicit PollerScope(gk_engine& e) : e_(e) {
        std::lock_guard g(e_.pollers_mu);
        ++e_.pollers;
    }
    ~PollerScope() {
        std::lock_guard g(e_.pollers_mu);
        if (--e_.pollers == 0) e_.pollers_cv.notify_all();
    }
    PollerScope(const PollerScope&) = delete;
    PollerScope& operator=(const PollerScope&) = delete;

private:
    gk_engine& e_;
};

class CallbackScope {
public:
    CallbackScope() noexcept : previous_(t_in_event_callback) { t_in_event_callback = true; }
    ~CallbackScope() { t_in_event_callback = previous_; }
    CallbackScope(const CallbackScope&) = delete;
    CallbackScope& operator=(const CallbackScope&) = delete;

private:
    bool previous_;
};

}  // namespace

extern "C" {

GK_EXPORT const char* gk_version(void) { return gramkit::version(); }

GK_EXPORT int gk_version_number(void) { return GRAMKIT_VERSION_NUMBER; }

GK_EXPORT const char* gk_last_error(void) { return gramkit::capi::last_error_message(); }

GK_EXPORT int gk_last_error_code(void) { return gramkit::capi::last_error_code(); }

GK_EXPORT const char* gk_error_name(int code) {
    if (code == GK_OK) return "ok";
    if (code == GK_ENOMEM) return "out_of_memory";
    if (code >= 0) return "unknown";
    // Single source of truth for the names: gramkit::to_string, which
    // returns string literals (NUL-terminated) and "unknown" for values no
    // enumerator names. Guard the negation against INT_MIN.
    if (code < -1000) return "unknown";
    return gramkit::to_string(static_cast<ErrorCode>(-code)).data();
}

GK_EXPORT int gk_engine_open(gk_engine** out, const char* config_json) {
    return guarded("gk_engine_open", [&]() -> Status {
        if (out == nullptr) return null_argument("gk_engine_open", "out");
        *out = nullptr;
        const std::string_view config =
            (config_json == nullptr || *config_json == '\0') ? std::string_view("{}") : std::string_view(config_json);
        GK_TRY(require_utf8("gk_engine_open", "config_json", config));
        auto handle = std::make_unique<gk_engine>();
        GK_ASSIGN_OR_RETURN(handle->engine, gramkit::Engine::open(config));
        *out = handle.release();
        return {};
    });
}

GK_EXPORT void gk_engine_close(gk_engine* engine) {
    (void)guarded("gk_engine_close", [&]() -> Status {
        if (engine == nullptr) return {};
        // Closing from a callback would free the bus that is calling it.
        GK_TRY(require_not_in_callback("gk_engine_close"));
        // Closing from a job handler would make the pool join the thread it
        // runs on (or free the engine under run_pending's feet).
        if (gramkit::jobs::on_job_thread()) {
            return gramkit::fail(ErrorCode::failed_precondition,
                                 "gk_engine_close: must not be called from a job handler");
        }
        std::unique_ptr<gk_engine> owned(engine);
        gramkit::EventBus& bus = owned->engine->events();
        {
            std::lock_guard g(owned->callback_mu);
            if (owned->subscription) {
                bus.unsubscribe(*owned->subscription);  // waits for a callback in progress
                owned->subscription.reset();
            }
        }
        owned->closing.store(true);
        bus.close();  // wakes threads blocked in gk_next_event
        {
            std::unique_lock g(owned->pollers_mu);
            owned->pollers_cv.wait(g, [&] { return owned->pollers == 0; });
        }
        owned.reset();
        return {};
    });
}

GK_EXPORT int gk_call(gk_engine* engine, const char* op, const char* params_json, char** result_json) {
    return guarded("gk_call", [&]() -> Status {
        if (result_json == nullptr) return null_argument("gk_call", "result_json");
        *result_json = nullptr;
        if (engine == nullptr) return null_argument("gk_call", "engine");
        if (op == nullptr) return null_argument("gk_call", "op");
        GK_TRY(require_not_in_callback("gk_call"));
        const std::string_view op_name(op);
        GK_TRY(require_utf8("gk_call", "op", op_name));
        const std::string_view params = params_json == nullptr ? std::string_view() : std::string_view(params_json);
        GK_TRY(require_utf8("gk_call", "params_json", params));
        GK_ASSIGN_OR_RETURN(const std::string result, engine->engine->call(op_name, params));
        *result_json = copy_out(result);
        return {};
    });
}

GK_EXPORT int gk_next_event(gk_engine* engine, int timeout_ms, char** event_json) {
    return guarded("gk_next_event", [&]() -> Status {
        if (event_json == nullptr) return null_argument("gk_next_event", "event_json");
        *event_json = nullptr;
        if (engine == nullptr) return null_argument("gk_next_event", "engine");
        PollerScope scope(*engine);
        gramkit::EventBus& bus = engine->engine->events();
        std::optional<gramkit::Event> event;
        bool bus_closed = false;
        if (timeout_ms >= 0) {
            event = bus.next(std::chrono::milliseconds(timeout_ms));
        } else {
            for (;;) {
                const auto started = std::chrono::steady_clock::now();
                event = bus.next(kWaitSlice);
                if (event || engine->closing.load()) break;
                // next() returns early without an event only once the bus is
                // closed; never spin on a closed bus.
                if (std::chrono::steady_clock::now() - started < kWaitSlice / 2) {
                    bus_closed = true;
                    break;
                }
            }
        }
        if (!event) {
            if (bus_closed || engine->closing.load())
                return gramkit::fail(ErrorCode::cancelled, "gk_next_event: the engine is closing");
            return gramkit::fail(ErrorCode::timeout,
                                 "gk_next_event: no event within " + std::to_string(timeout_ms) + " ms");
        }
        *event_json = copy_out(event->to_json());
        return {};
    });
}

GK_EXPORT int gk_set_event_callback(gk_engine* engine, gk_event_callback cb, void* user_data) {
    return guarded("gk_set_event_callback", [&]() -> Status {
        if (engine == nullptr) return null_argument("gk_set_event_callback", "engine");
        // Unsubscribing waits for the delivery lock the callback runs under.
        GK_TRY(require_not_in_callback("gk_set_event_callback"));
        gramkit::EventBus& bus = engine->engine->events();
        std::lock_guard g(engine->callback_mu);
        // Remove first, then add: an event is never delivered twice, and
        // once this returns the previous callback is not running and will
        // not be called again.
        if (engine->subscription) {
            bus.unsubscribe(*engine->subscription);
            engine->subscription.reset();
        }
        if (cb != nullptr) {
            engine->subscription = bus.subscribe([cb, user_data](const gramkit::Event& event) {
                const std::string text = event.to_json();
                CallbackScope scope;
                cb(text.c_str(), user_data);
            });
        }
        return {};
    });
}

GK_EXPORT int gk_ratelimit_try(gk_engine* engine, const char* key, uint32_t cost, int64_t* retry_after_us) {
    return guarded("gk_ratelimit_try", [&]() -> Status {
        if (retry_after_us != nullptr) *retry_after_us = 0;
        if (engine == nullptr) return null_argument("gk_ratelimit_try", "engine");
        if (key == nullptr) return null_argument("gk_ratelimit_try", "key");
        const std::string_view text(key);
        GK_TRY(require_utf8("gk_ratelimit_try", "key", text));
        // Split on ',' with string_view; the only allocations are the
        // Request's vector (reserved once) and its strings.
        std::size_t count = 1;
        for (const char c : text)
            if (c == ',') ++count;
        gramkit::ratelimit::Request request;
        request.parts.reserve(count);
        std::size_t start = 0;
        for (;;) {
            const std::size_t comma = text.find(',', start);
            const std::string_view part =
                text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
            if (part.empty()) {
                return gramkit::fail(ErrorCode::invalid_argument,
                                     "gk_ratelimit_try: key has an empty part (at byte " + std::to_string(start) +
                                         "); expected \"kind:value,kind:value,...\"",
                                     "key");
            }
            request.parts.emplace_back(part);
            if (comma == std::string_view::npos) break;
            start = comma + 1;
        }
        GK_ASSIGN_OR_RETURN(const gramkit::ratelimit::Verdict verdict, engine->engine->ratelimit_check(request, cost));
        if (verdict.allowed) return {};
        const std::int64_t wait = verdict.retry_after.count() > 0 ? verdict.retry_after.count() : 0;
        if (retry_after_us != nullptr) *retry_after_us = wait;
        return gramkit::fail(ErrorCode::rate_limited, "gk_ratelimit_try: denied by rule '" + verdict.rule + "' (key '" +
                                                          verdict.key + "'); retry after " + std::to_string(wait) +
                                                          " us");
    });
}

GK_EXPORT void gk_free(void* ptr) { std::free(ptr); }

}  // extern "C"
