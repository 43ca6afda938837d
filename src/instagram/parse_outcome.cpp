// Classifying login answers and error bodies (classify_response) — the rules
// are listed in docs/instagram.md, "Error classification".
#include <algorithm>
#include <cctype>

#include "instagram/error_body.hpp"
#include "instagram/parse.hpp"

namespace gramkit::instagram {
namespace {

using walk::JsonPath;
namespace od = walk::od;

// Everything an answer may say about its outcome. Error bodies vary a lot
// between the web and the private API and over the years, so fields are
// read tolerantly: a field of an unexpected type is ignored, never fatal.
struct Signals {
    std::string status;
    std::string message;
    std::string error_type;
    std::optional<bool> authenticated;  // web ajax login
    std::optional<bool> user_exists;    // web ajax login: "user": true/false
    std::optional<std::string> user_id;
    bool logged_in_user = false;        // private API login success
    bool two_factor_required = false;
    std::optional<std::string> two_factor_identifier;
    bool sms = false, totp = false, whatsapp = false, phone_shown = false;
    std::optional<std::string> checkpoint_url;
    bool challenge = false;
    std::optional<std::string> feedback_message;
    bool require_login = false;
    std::optional<std::string> first_error;  // web {"errors":{"error":[...]}}
};

// Tolerant readers: only the expected type is taken.
void take_string(od::value& v, std::string& out) {
    std::string_view text;
    if (v.get_string().get(text) == simdjson::SUCCESS) out.assign(text);
}
void take_string(od::value& v, std::optional<std::string>& out) {
    std::string text;
    take_string(v, text);
    if (!text.empty()) out = std::move(text);
}
void take_flag(od::value& v, bool& out) {
    bool flag = false;
    if (v.get_bool().get(flag) == simdjson::SUCCESS) out = flag;
}
void take_flag(od::value& v, std::optional<bool>& out) {
    bool flag = false;
    if (v.get_bool().get(flag) == simdjson::SUCCESS) out = flag;
}
void take_id(od::value& v, std::optional<std::string>& out) {
    od::json_type type{};
    if (v.type().get(type) != simdjson::SUCCESS) return;
    if (type == od::json_type::string) return take_string(v, out);
    std::uint64_t n = 0;
    if (type == od::json_type::number && v.get_uint64().get(n) == simdjson::SUCCESS) out = std::to_string(n);
}
bool is_object(od::value& v) {
    od::json_type type{};
    return v.type().get(type) == simdjson::SUCCESS && type == od::json_type::object;
}

// Walks members of an object value when it is one; ignores anything else.
template <class OnField>
Status tolerant_fields(od::value& v, const JsonPath& at, OnField&& on_field) {
    if (!is_object(v)) return {};
    return walk::for_each_field(v, at, std::forward<OnField>(on_field));
}

Status read_two_factor_info(od::value& v, const JsonPath& at, Signals& s) {
    return tolerant_fields(v, at, [&](std::string_view key, od::value& f, const JsonPath&) -> Status {
        if (key == "two_factor_identifier") take_string(f, s.two_factor_identifier);
        else if (key == "sms_two_factor_on") take_flag(f, s.sms);
        else if (key == "totp_two_factor_on") take_flag(f, s.totp);
        else if (key == "whatsapp_two_factor_on") take_flag(f, s.whatsapp);
        else if (key == "obfuscated_phone_number") {
            std::string phone;
            take_string(f, phone);
            s.phone_shown = !phone.empty();
        }
        return {};
    });
}

Status read_signals(od::value& v, std::string_view key, const JsonPath& at, Signals& s) {
    if (key == "status") take_string(v, s.status);
    else if (key == "message") take_string(v, s.message);
    else if (key == "error_type") take_string(v, s.error_type);
    else if (key == "authenticated") take_flag(v, s.authenticated);
    else if (key == "user") take_flag(v, s.user_exists);  // an object here (other endpoints) is ignored
    else if (key == "userId") take_id(v, s.user_id);
    else if (key == "logged_in_user") {
        if (!is_object(v)) return {};
        s.logged_in_user = true;
        return walk::for_each_field(v, at, [&](std::string_view k, od::value& f, const JsonPath&) -> Status {
            if (k == "pk" || (k == "id" && !s.user_id)) take_id(f, s.user_id);
            return {};
        });
    } else if (key == "two_factor_required") take_flag(v, s.two_factor_required);
    else if (key == "two_factor_info") return read_two_factor_info(v, at, s);
    else if (key == "checkpoint_url") take_string(v, s.checkpoint_url);
    else if (key == "challenge") {
        if (!is_object(v)) return {};
        s.challenge = true;
        return walk::for_each_field(v, at, [&](std::string_view k, od::value& f, const JsonPath&) -> Status {
            if (k == "url" || (k == "api_path" && !s.checkpoint_url)) take_string(f, s.checkpoint_url);
            return {};
        });
    } else if (key == "feedback_message") take_string(v, s.feedback_message);
    else if (key == "require_login") take_flag(v, s.require_login);
    else if (key == "errors") {
        return tolerant_fields(v, at, [&](std::string_view, od::value& list, const JsonPath& lp) -> Status {
            od::json_type type{};
            if (s.first_error || list.type().get(type) != simdjson::SUCCESS || type != od::json_type::array) return {};
            return walk::for_each_element(list, lp, [&](std::size_t, od::value& item, const JsonPath&) -> Status {
                if (!s.first_error) take_string(item, s.first_error);
                return {};
            });
        });
    }
    return {};
}

bool contains_ignoring_case(std::string_view text, std::string_view needle) {
    const auto it = std::search(text.begin(), text.end(), needle.begin(), needle.end(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
    });
    return it != text.end();
}

ApiErrorKind decide(int http_status, const Signals& s) {
    const std::string_view message = s.message;
    const std::string_view type = s.error_type;
    // Specific demands first: they tell the caller what to do next.
    if (s.two_factor_required || type == "two_factor_required") return ApiErrorKind::two_factor_required;
    if (message == "checkpoint_required" || type.starts_with("checkpoint")) return ApiErrorKind::checkpoint_required;
    if (message == "challenge_required" || type == "challenge_required" || s.challenge)
        return ApiErrorKind::challenge_required;
    if (message == "feedback_required" || type == "feedback_required" || s.feedback_message)
        return ApiErrorKind::feedback_required;
    if (message == "login_required" || type == "login_required") return ApiErrorKind::login_required;
    // Throttling: HTTP 429 is a hard rate limit whatever the body says; the
    // "please wait" text alone (often with 400/401) is the soft block.
    if (http_status == 429 || type == "rate_limit_error") return ApiErrorKind::rate_limited;
    if (contains_ignoring_case(message, "please wait") || contains_ignoring_case(message, "wait a few minutes"))
        return ApiErrorKind::please_wait;
    if (type == "bad_password") return ApiErrorKind::bad_password;
    if (type == "invalid_user") return ApiErrorKind::invalid_user;
    if (s.authenticated == false) {
        // Web ajax login: "user" says whether the username exists.
        return s.user_exists == false ? ApiErrorKind::invalid_user : ApiErrorKind::bad_password;
    }
    if (s.authenticated == true || s.logged_in_user) return ApiErrorKind::ok;
    if (s.require_login && (http_status == 401 || http_status == 403)) return ApiErrorKind::login_required;
    const bool success_status = http_status == 0 || (http_status >= 200 && http_status < 300);
    if (s.status == "ok" && success_status && !s.first_error && type.empty()) return ApiErrorKind::ok;
    return ApiErrorKind::generic;
}

}  // namespace

LoginResult classify_response(int http_status, std::string_view body) {
    LoginResult result;
    result.http_status = http_status;
    Signals s;
    const Status walked = walk::walk_document(body, "a JSON object", [&](std::string_view key, od::value& v, const JsonPath& p) {
        return read_signals(v, key, p, s);
    });
    if (!walked) {
        // Not usable JSON (an HTML error page, a truncated body): only the
        // HTTP status is left to go by.
        result.kind = http_status == 429 ? ApiErrorKind::rate_limited : ApiErrorKind::generic;
        result.message = "response is not usable JSON (HTTP " + std::to_string(http_status) + "): " + walked.error().message;
        return result;
    }
    result.kind = decide(http_status, s);
    result.error_type = std::move(s.error_type);
    result.message = !s.message.empty() ? std::move(s.message) : s.first_error.value_or(std::string());
    if (result.message.empty() && result.kind == ApiErrorKind::generic) {
        result.message = "unrecognised answer (HTTP " + std::to_string(http_status) + ")";
    }
    switch (result.kind) {
        case ApiErrorKind::ok: result.user_id = std::move(s.user_id); break;
        case ApiErrorKind::two_factor_required:
            result.two_factor_identifier = std::move(s.two_factor_identifier);
            // Older bodies have no per-method flags, only the masked phone
            // number the SMS went to.
            if (s.sms || (s.phone_shown && !s.totp && !s.whatsapp)) result.two_factor_methods.push_back(TwoFactorMethod::sms);
            if (s.totp) result.two_factor_methods.push_back(TwoFactorMethod::totp);
            if (s.whatsapp) result.two_factor_methods.push_back(TwoFactorMethod::whatsapp);
            break;
        case ApiErrorKind::checkpoint_required:
        case ApiErrorKind::challenge_required: result.checkpoint_url = std::move(s.checkpoint_url); break;
        case ApiErrorKind::feedback_required: result.feedback_message = std::move(s.feedback_message); break;
        default: break;
    }
    return result;
}

namespace detail {

std::unexpected<Error> missing_document(std::string_view body, bool status_fail, const JsonPath& where,
                                        std::string_view what) {
    if (status_fail) {
        const LoginResult outcome = classify_response(200, body);
        // "status":"fail" with nothing recognisable as an error (or even
        // login-ok fields) is still no document of the expected kind.
        if (!outcome.ok()) return fail(to_error(outcome));
    }
    return walk::expected_at(where, what);
}

Status note_status(od::value& value, bool& status_fail) {
    std::string_view status;
    if (value.get_string().get(status) == simdjson::SUCCESS && status == "fail") status_fail = true;
    return {};
}

}  // namespace detail
}  // namespace gramkit::instagram
