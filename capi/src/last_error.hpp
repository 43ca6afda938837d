// The C ABI's per-thread last error and the one wrapper every extern "C"
// function runs its body through (DESIGN.md §3: no exception crosses the
// ABI). Private to capi/.
#pragma once

#include <exception>
#include <initializer_list>
#include <new>
#include <string_view>

#include "gramkit/error.hpp"
#include "gramkit/gramkit.h"

namespace gramkit::capi {

/// Forgets the calling thread's last error (code GK_OK, message "").
void clear_last_error() noexcept;
/// Records `code` and `message` as the calling thread's last error and
/// returns `code`. Never throws: if the message cannot be stored (out of
/// memory) a static text is reported instead.
int set_last_error(int code, std::string_view message) noexcept;
/// Same, for a message made of parts ({"gk_call", ": ", "..."}).
int set_last_error(int code, std::initializer_list<std::string_view> parts) noexcept;
/// Records a gramkit::Error (code negated) and returns the C code.
int set_last_error(const Error& error) noexcept;

const char* last_error_message() noexcept;
int last_error_code() noexcept;

/// The negated C code of a C++ error code (GK_EINTERNAL for `ok`, which an
/// error never should carry).
constexpr int to_c_code(ErrorCode code) noexcept {
    const int c = static_cast<int>(code);
    return c <= 0 ? GK_EINTERNAL : -c;
}

/// The wrapper. `fn` is the C function's name (used in messages). `body`
/// returns a gramkit::Status; an error becomes its negated code and message.
/// std::bad_alloc becomes GK_ENOMEM, any other exception GK_EINTERNAL with
/// its what() text. A GK_OK return leaves gk_last_error() == "".
template <class Body>
int guarded(const char* fn, Body&& body) noexcept {
    clear_last_error();
    try {
        Status status = body();
        if (status) {
            // A nested gk_* call (refused inside an event callback) may have
            // left an error behind; success means "no error".
            clear_last_error();
            return GK_OK;
        }
        return set_last_error(status.error());
    } catch (const std::bad_alloc&) {
        return set_last_error(GK_ENOMEM, {fn, ": out of memory"});
    } catch (const std::exception& e) {
        return set_last_error(GK_EINTERNAL, {fn, ": internal error: ", e.what()});
    } catch (...) {
        return set_last_error(GK_EINTERNAL, {fn, ": internal error: unknown exception"});
    }
}

}  // namespace gramkit::capi
