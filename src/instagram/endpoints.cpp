// Instagram endpoint URLs and forms (see endpoints.hpp).
#include "instagram/endpoints.hpp"

#include "core/json.hpp"

namespace gramkit::instagram::endpoints {
namespace {

bool is_ascii_alnum(unsigned char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::string trimmed_base(std::string_view base) {
    while (!base.empty() && base.back() == '/') base.remove_suffix(1);
    return std::string(base);
}

}  // namespace

std::string form_encode(std::string_view value) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(value.size());
    for (unsigned char c : value) {
        if (is_ascii_alnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else if (c == ' ') {
            out.push_back('+');
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0x0F]);
        }
    }
    return out;
}

std::string form_body(const std::vector<std::pair<std::string, std::string>>& fields) {
    std::string out;
    for (const auto& [name, value] : fields) {
        if (!out.empty()) out.push_back('&');
        out += form_encode(name);
        out.push_back('=');
        out += form_encode(value);
    }
    return out;
}

Status check_username(std::string_view username) {
    if (username.empty() || username.size() > 30)
        return fail(ErrorCode::invalid_argument, "'username' must be 1 to 30 characters", "username");
    for (unsigned char c : username) {
        if (!is_ascii_alnum(c) && c != '.' && c != '_')
            return fail(ErrorCode::invalid_argument, "'username' may contain only letters, digits, '.' and '_'",
                        "username");
    }
    return {};
}

Result<std::string> normalize_tag(std::string_view tag) {
    if (!tag.empty() && tag.front() == '#') tag.remove_prefix(1);
    if (tag.empty() || tag.size() > 100)
        return fail(ErrorCode::invalid_argument, "'tag' must be 1 to 100 bytes (without '#')", "tag");
    for (unsigned char c : tag) {
        // Bytes ≥ 0x80 are parts of UTF-8 letters (other scripts); ASCII must
        // be a letter, digit or '_' — that excludes everything that could
        // change the URL (space, '/', '?', '&', '#', '%').
        if (c < 0x80 && !is_ascii_alnum(c) && c != '_')
            return fail(ErrorCode::invalid_argument, "'tag' may contain only letters, digits and '_'", "tag");
    }
    return std::string(tag);
}

bool is_shortcode(std::string_view s) noexcept {
    if (s.empty() || s.size() > 64) return false;
    for (unsigned char c : s)
        if (!is_ascii_alnum(c) && c != '_' && c != '-') return false;
    return true;
}

bool is_media_id(std::string_view s) noexcept {
    const auto underscore = s.find('_');
    auto digits = [](std::string_view d) {
        if (d.empty() || d.size() > 20) return false;
        for (char c : d)
            if (c < '0' || c > '9') return false;
        return true;
    };
    if (underscore == std::string_view::npos) return digits(s);
    return digits(s.substr(0, underscore)) && digits(s.substr(underscore + 1));
}

std::string enc_password(std::string_view password, std::int64_t unix_seconds) {
    std::string out = "#PWD_INSTAGRAM_BROWSER:0:";
    out += std::to_string(unix_seconds);
    out.push_back(':');
    out.append(password);
    return out;
}

std::string home_url(std::string_view web_base) { return trimmed_base(web_base) + "/"; }

std::string login_url(std::string_view web_base) {
    return trimmed_base(web_base) + "/api/v1/web/accounts/login/ajax/";
}

std::string two_factor_url(std::string_view web_base) {
    return trimmed_base(web_base) + "/api/v1/web/accounts/login/ajax/two_factor/";
}

std::string profile_url(std::string_view web_base, std::string_view username) {
    return trimmed_base(web_base) + "/api/v1/users/web_profile_info/?username=" + form_encode(username);
}

std::string graphql_url(std::string_view web_base) { return trimmed_base(web_base) + "/graphql/query"; }

std::string timeline_form(std::string_view doc_id, std::string_view username, int first,
                          const std::optional<std::string>& after) {
    json::Value variables = json::Value::object();
    variables.set("username", std::string(username));
    variables.set("first", static_cast<std::int64_t>(first));
    if (after) {
        variables.set("after", *after);
    } else {
        variables.set("after", nullptr);
    }
    return form_body({{"doc_id", std::string(doc_id)}, {"variables", json::to_string(variables)}});
}

std::string hashtag_url(std::string_view web_base, std::string_view tag, const std::optional<std::string>& max_id) {
    std::string url = trimmed_base(web_base) + "/api/v1/tags/web_info/?tag_name=" + form_encode(tag);
    if (max_id) url += "&max_id=" + form_encode(*max_id);
    return url;
}

std::string media_info_url(std::string_view api_base, std::string_view media_id) {
    return trimmed_base(api_base) + "/api/v1/media/" + std::string(media_id) + "/info/";
}

std::string shortcode_url(std::string_view web_base, std::string_view shortcode) {
    return trimmed_base(web_base) + "/p/" + std::string(shortcode) + "/?__a=1&__d=dis";
}

}  // namespace gramkit::instagram::endpoints
