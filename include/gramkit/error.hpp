// gramkit — error model shared by every layer (DESIGN.md §3).
//
// Expected failures are values: every fallible function returns
// `Result<T>` (= std::expected<T, Error>). Exceptions are reserved for bugs
// and out-of-memory. The numeric values of `ErrorCode` are part of the C ABI
// (negated, they are the GK_E* codes): append only, never renumber.
//
// Thread-safety: all types here are plain values; copies may be used from
// any thread.
#pragma once

#include <expected>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>

#include "gramkit/export.hpp"

namespace gramkit {

enum class ErrorCode : int {
    ok = 0,
    invalid_argument = 1,   // the caller passed something malformed
    not_found = 2,          // the named object does not exist
    conflict = 3,           // uniqueness or state conflict (duplicate username, illegal transition)
    unauthenticated = 4,    // missing or wrong credentials
    permission_denied = 5,  // authenticated but not allowed
    rate_limited = 6,       // a rate limit or cooldown denies the request now
    upstream_error = 7,     // Instagram (or another remote) answered something unusable
    timeout = 8,            // an operation ran out of time
    unavailable = 9,        // a dependency (database, proxy pool, ...) cannot serve now
    internal = 10,          // a bug or an unexpected library failure
    failed_precondition = 11,  // the system is not in a state that allows the operation
    cancelled = 12,         // the operation was cancelled by its caller
    data_loss = 13,         // stored data cannot be read back (bad key, tampered ciphertext)
};

/// Stable lower-case name of a code ("invalid_argument", ...). These strings
/// are used by the C ABI, the REST problem documents and Python exceptions.
GRAMKIT_API std::string_view to_string(ErrorCode code) noexcept;
/// Writes the stable name (also makes test failures readable).
GRAMKIT_API std::ostream& operator<<(std::ostream& os, ErrorCode code);

/// An error: a stable code, a human-readable message and optional details
/// (for example the name of the offending field). Messages never contain
/// secrets (DESIGN.md §5).
struct GRAMKIT_API Error {
    ErrorCode code = ErrorCode::internal;
    std::string message;
    std::string details;  // optional, machine-oriented (e.g. field name)

    Error() = default;
    Error(ErrorCode c, std::string msg, std::string det = {})
        : code(c), message(std::move(msg)), details(std::move(det)) {}

    /// "code: message" — for logs and CLI output.
    std::string to_string() const;
};

template <class T>
using Result = std::expected<T, Error>;

/// Result of an operation with no value.
using Status = std::expected<void, Error>;

/// Shorthand for `return fail(ErrorCode::not_found, "account 7 not found");`.
inline std::unexpected<Error> fail(ErrorCode code, std::string message, std::string details = {}) {
    return std::unexpected<Error>(Error{code, std::move(message), std::move(details)});
}
inline std::unexpected<Error> fail(Error e) { return std::unexpected<Error>(std::move(e)); }

}  // namespace gramkit

/// Propagates the error of a Result/Status expression, like Rust's `?`.
/// Usage: `GK_TRY(repo.insert(a));`
#define GK_TRY(expr)                                              \
    do {                                                          \
        auto&& gk_try_result_ = (expr);                           \
        if (!gk_try_result_) return ::gramkit::fail(std::move(gk_try_result_).error()); \
    } while (0)

#define GK_CONCAT_INNER_(a, b) a##b
#define GK_CONCAT_(a, b) GK_CONCAT_INNER_(a, b)

/// Declares `lhs` from the value of a Result expression or returns its error.
/// Usage: `GK_ASSIGN_OR_RETURN(auto account, repo.get(id));`
#define GK_ASSIGN_OR_RETURN(lhs, expr) GK_ASSIGN_OR_RETURN_IMPL_(GK_CONCAT_(gk_r_, __LINE__), lhs, expr)
#define GK_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr)                          \
    auto tmp = (expr);                                                     \
    if (!tmp) return ::gramkit::fail(std::move(tmp).error());              \
    lhs = std::move(tmp).value()
