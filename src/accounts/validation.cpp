// Input validation for accounts. Messages name the field and the rule, and
// quote at most a short prefix of the offending value (never a secret).
#include <algorithm>
#include <string>

#include "accounts/validation.hpp"
#include "gramkit/accounts.hpp"

namespace gramkit {
namespace {

bool is_username_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_';
}
bool is_label_char(char c) { return is_username_char(c) || c == '-' || c == ':'; }

}  // namespace

Status validate_username(std::string_view u) {
    // Instagram's own rules: up to 30 letters, digits, periods and
    // underscores; no leading/trailing period and no two in a row.
    if (u.empty()) return fail(ErrorCode::invalid_argument, "username must not be empty", "username");
    if (u.size() > 30)
        return fail(ErrorCode::invalid_argument,
                    "username is too long (" + std::to_string(u.size()) + " characters, at most 30)", "username");
    if (!std::all_of(u.begin(), u.end(), is_username_char))
        return fail(ErrorCode::invalid_argument,
                    "username may contain only letters, digits, '.' and '_'", "username");
    if (u.front() == '.' || u.back() == '.')
        return fail(ErrorCode::invalid_argument, "username must not start or end with '.'", "username");
    if (u.find("..") != std::string_view::npos)
        return fail(ErrorCode::invalid_argument, "username must not contain '..'", "username");
    return {};
}

Status validate_label(std::string_view l) {
    if (l.empty() || l.size() > 64)
        return fail(ErrorCode::invalid_argument, "label must be 1 to 64 characters", "labels");
    if (!std::all_of(l.begin(), l.end(), is_label_char))
        return fail(ErrorCode::invalid_argument, "label may contain only letters, digits and . _ - :", "labels");
    return {};
}

namespace accounts {

Status validate_email(std::string_view e) {
    auto at = e.find('@');
    bool ok = !e.empty() && e.size() <= 254 && at != std::string_view::npos && at > 0 && at + 1 < e.size() &&
              e.find('@', at + 1) == std::string_view::npos &&
              std::none_of(e.begin(), e.end(), [](char c) { return c == ' ' || static_cast<unsigned char>(c) < 0x20; });
    if (!ok) return fail(ErrorCode::invalid_argument, "email must look like name@domain", "email");
    return {};
}

Status validate_password(std::string_view p, std::string_view field) {
    if (p.empty() || p.size() > 256)
        return fail(ErrorCode::invalid_argument, std::string(field) + " must be 1 to 256 bytes", std::string(field));
    return {};
}

Result<std::vector<std::string>> normalize_labels(const std::vector<std::string>& labels) {
    if (labels.size() > 64) return fail(ErrorCode::invalid_argument, "at most 64 labels per account", "labels");
    std::vector<std::string> out;
    out.reserve(labels.size());
    for (const auto& l : labels) {
        GK_TRY(validate_label(l));
        out.push_back(l);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

Status validate_limit(std::size_t limit) {
    if (limit < 1 || limit > 1000) return fail(ErrorCode::invalid_argument, "limit must be between 1 and 1000", "limit");
    return {};
}

}  // namespace accounts
}  // namespace gramkit
