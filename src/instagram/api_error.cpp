// Names of the Instagram model enums and the ApiErrorKind → ErrorCode
// mapping documented in gramkit/instagram_models.hpp.
#include <string>

#include "gramkit/instagram_models.hpp"

namespace gramkit::instagram {

std::string_view to_string(ApiErrorKind kind) noexcept {
    switch (kind) {
        case ApiErrorKind::ok: return "ok";
        case ApiErrorKind::bad_password: return "bad_password";
        case ApiErrorKind::invalid_user: return "invalid_user";
        case ApiErrorKind::two_factor_required: return "two_factor_required";
        case ApiErrorKind::checkpoint_required: return "checkpoint_required";
        case ApiErrorKind::challenge_required: return "challenge_required";
        case ApiErrorKind::please_wait: return "please_wait";
        case ApiErrorKind::rate_limited: return "rate_limited";
        case ApiErrorKind::feedback_required: return "feedback_required";
        case ApiErrorKind::login_required: return "login_required";
        case ApiErrorKind::generic: return "generic";
    }
    return "generic";
}

std::string_view to_string(TwoFactorMethod method) noexcept {
    switch (method) {
        case TwoFactorMethod::sms: return "sms";
        case TwoFactorMethod::totp: return "totp";
        case TwoFactorMethod::whatsapp: return "whatsapp";
    }
    return "sms";
}

std::string_view to_string(MediaType type) noexcept {
    switch (type) {
        case MediaType::image: return "image";
        case MediaType::video: return "video";
        case MediaType::carousel: return "carousel";
    }
    return "image";
}

std::string_view to_string(MediaKind kind) noexcept {
    return kind == MediaKind::video ? "video" : "image";
}

ErrorCode to_error_code(ApiErrorKind kind) noexcept {
    switch (kind) {
        case ApiErrorKind::ok: return ErrorCode::ok;
        // New credentials (or a new session) are needed.
        case ApiErrorKind::bad_password:
        case ApiErrorKind::invalid_user:
        case ApiErrorKind::login_required: return ErrorCode::unauthenticated;
        // A human or a second factor must act before the account can go on.
        case ApiErrorKind::two_factor_required:
        case ApiErrorKind::checkpoint_required:
        case ApiErrorKind::challenge_required: return ErrorCode::failed_precondition;
        // Waiting cures these: the account goes into cooldown.
        case ApiErrorKind::please_wait:
        case ApiErrorKind::rate_limited:
        case ApiErrorKind::feedback_required: return ErrorCode::rate_limited;
        case ApiErrorKind::generic: return ErrorCode::upstream_error;
    }
    return ErrorCode::upstream_error;
}

Error to_error(const LoginResult& outcome) {
    std::string message = "instagram: ";
    message += to_string(outcome.kind);
    if (!outcome.message.empty()) {
        message += ": ";
        message += outcome.message;
    }
    return Error{to_error_code(outcome.kind), std::move(message), std::string(to_string(outcome.kind))};
}

}  // namespace gramkit::instagram
