// gramkit — names of error codes (DESIGN.md §3).
//
// The strings are part of the C ABI, the REST problem documents and the
// Python exception mapping, so they must stay equal to the enum identifiers.
#include "gramkit/error.hpp"

#include <ostream>

namespace gramkit {

std::string_view to_string(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::ok: return "ok";
        case ErrorCode::invalid_argument: return "invalid_argument";
        case ErrorCode::not_found: return "not_found";
        case ErrorCode::conflict: return "conflict";
        case ErrorCode::unauthenticated: return "unauthenticated";
        case ErrorCode::permission_denied: return "permission_denied";
        case ErrorCode::rate_limited: return "rate_limited";
        case ErrorCode::upstream_error: return "upstream_error";
        case ErrorCode::timeout: return "timeout";
        case ErrorCode::unavailable: return "unavailable";
        case ErrorCode::internal: return "internal";
        case ErrorCode::failed_precondition: return "failed_precondition";
        case ErrorCode::cancelled: return "cancelled";
        case ErrorCode::data_loss: return "data_loss";
    }
    // A value cast from an integer that no enumerator names (for example a
    // code from a newer library version read through the C ABI).
    return "unknown";
}

std::ostream& operator<<(std::ostream& os, ErrorCode code) { return os << to_string(code); }

std::string Error::to_string() const {
    const std::string_view name = gramkit::to_string(code);
    std::string out;
    out.reserve(name.size() + 2 + message.size());
    out.append(name);
    out.append(": ");
    out.append(message);
    return out;
}

}  // namespace gramkit
