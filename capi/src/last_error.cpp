// Per-thread last error of the C ABI.
#include "last_error.hpp"

#include <string>

#include "utf8.hpp"

namespace gramkit::capi {
namespace {

struct LastError {
    int code = GK_OK;
    std::string message;
    // Set when `message` could not be stored; gk_last_error then returns it.
    const char* fallback = nullptr;
};

LastError& state() noexcept {
    thread_local LastError error;
    return error;
}

}  // namespace

void clear_last_error() noexcept {
    LastError& s = state();
    s.code = GK_OK;
    s.message.clear();  // keeps the capacity: no allocation on the hot path
    s.fallback = nullptr;
}

int set_last_error(int code, std::initializer_list<std::string_view> parts) noexcept {
    LastError& s = state();
    s.code = code;
    s.fallback = nullptr;
    try {
        s.message.clear();
        for (std::string_view part : parts) s.message.append(part);
    } catch (...) {
        s.message.clear();
        s.fallback = code == GK_ENOMEM ? "out of memory" : "error message lost: out of memory";
    }
    return code;
}

int set_last_error(int code, std::string_view message) noexcept { return set_last_error(code, std::initializer_list<std::string_view>{message}); }

int set_last_error(const Error& error) noexcept {
    const int code = to_c_code(error.code);
    // Messages may quote input (an operation name, a field value) cut to a
    // length; hosts must always be able to decode them.
    if (!find_invalid_utf8(error.message)) return set_last_error(code, error.message);
    try {
        return set_last_error(code, repair_utf8(error.message));
    } catch (...) {
        return set_last_error(code, "error message lost: out of memory");
    }
}

const char* last_error_message() noexcept {
    const LastError& s = state();
    return s.fallback ? s.fallback : s.message.c_str();
}

int last_error_code() noexcept { return state().code; }

}  // namespace gramkit::capi
