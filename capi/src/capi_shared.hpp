// What the C ABI's translation units (capi.cpp, capi_jobs.cpp) share: the
// handle behind `gk_engine *` and the argument checks whose messages name
// the C parameter. Private to capi/.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <expected>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "gramkit/engine.hpp"
#include "utf8.hpp"

// Lives in the global namespace because the header declares
// `typedef struct gk_engine gk_engine;`.
struct gk_engine {
    std::unique_ptr<gramkit::Engine> engine;

    // The single C callback's subscription on the engine's EventBus.
    std::mutex callback_mu;
    std::optional<std::uint64_t> subscription;

    // gk_engine_close sets `closing`, closes the bus (which wakes every
    // poller) and waits until `pollers` drops to zero before freeing.
    std::atomic<bool> closing{false};
    std::mutex pollers_mu;
    std::condition_variable pollers_cv;
    int pollers = 0;
};

namespace gramkit::capi {

/// invalid_argument "<fn>: <name> must not be NULL", details = name.
inline std::unexpected<Error> null_argument(const char* fn, const char* name) {
    return fail(ErrorCode::invalid_argument, std::string(fn) + ": " + name + " must not be NULL", name);
}

/// invalid_argument naming the parameter and the first bad byte unless
/// `text` is well-formed UTF-8.
inline Status require_utf8(const char* fn, const char* name, std::string_view text) {
    if (auto bad = find_invalid_utf8(text)) {
        return fail(ErrorCode::invalid_argument,
                    std::string(fn) + ": " + name + " is not valid UTF-8 (byte " + std::to_string(*bad) + ")", name);
    }
    return {};
}

}  // namespace gramkit::capi
