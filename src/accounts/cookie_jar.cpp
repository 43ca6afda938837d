#include "accounts/cookie_jar.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/json.hpp"

namespace gramkit::accounts {
namespace {

constexpr std::size_t kMaxCookies = 1000;

bool has_bad_chars(std::string_view s, bool allow_space) {
    return std::any_of(s.begin(), s.end(), [&](unsigned char c) {
        return c < 0x20 || c == 0x7f || c == ';' || (!allow_space && c == ' ');
    });
}

Status cookie_error(std::size_t index, std::string what) {
    return fail(ErrorCode::invalid_argument, "cookie " + std::to_string(index) + ": " + what, "cookies");
}

// Seconds since the epoch as exported by browsers (may be fractional).
std::optional<Timestamp> expiry_from_seconds(double seconds) {
    if (!(seconds > 0) || !std::isfinite(seconds) || seconds > 1e11) return std::nullopt;  // session cookie
    return from_micros(static_cast<std::int64_t>(seconds * 1e6));
}

Result<Cookie> cookie_from_export_object(const json::Value& v, std::size_t index) {
    if (!v.is_object()) return fail(cookie_error(index, "must be an object").error());
    json::ObjectReader r(v, "cookies[" + std::to_string(index) + "]");
    Cookie c;
    GK_ASSIGN_OR_RETURN(c.name, r.required_string("name"));
    GK_ASSIGN_OR_RETURN(c.value, r.required_string("value"));
    GK_ASSIGN_OR_RETURN(auto domain, r.optional_string("domain"));
    c.domain = domain.value_or(".instagram.com");
    GK_ASSIGN_OR_RETURN(auto path, r.optional_string("path"));
    c.path = path.value_or("/");
    GK_ASSIGN_OR_RETURN(auto secure, r.optional_bool("secure"));
    c.secure = secure.value_or(false);
    GK_ASSIGN_OR_RETURN(auto http_only, r.optional_bool("httpOnly"));
    if (!http_only) {
        GK_ASSIGN_OR_RETURN(http_only, r.optional_bool("http_only"));
    }
    c.http_only = http_only.value_or(false);
    GK_ASSIGN_OR_RETURN(auto session, r.optional_bool("session"));
    // Chrome extensions say "expirationDate", Playwright/Puppeteer "expires".
    GK_ASSIGN_OR_RETURN(auto exp1, r.optional_double("expirationDate"));
    GK_ASSIGN_OR_RETURN(auto exp2, r.optional_double("expires"));
    if (!session.value_or(false)) {
        if (auto e = exp1 ? exp1 : exp2) c.expires = expiry_from_seconds(*e);
    }
    // Other exporter fields (sameSite, hostOnly, storeId, ...) are ignored.
    GK_TRY(validate_cookie(c, index));
    return c;
}

Result<std::vector<Cookie>> parse_json_export(std::string_view text) {
    GK_ASSIGN_OR_RETURN(auto doc, json::parse(text));
    const json::Value* arr = &doc;
    if (doc.is_object()) arr = doc.find("cookies");  // Playwright storageState
    if (!arr || !arr->is_array())
        return fail(ErrorCode::invalid_argument, "cookie export must be a JSON array of cookies (or {\"cookies\": [...]})",
                    "cookies");
    if (arr->as_array().size() > kMaxCookies)
        return fail(ErrorCode::invalid_argument, "too many cookies (at most 1000)", "cookies");
    std::vector<Cookie> out;
    std::size_t i = 0;
    for (const auto& v : arr->as_array()) {
        GK_ASSIGN_OR_RETURN(auto c, cookie_from_export_object(v, i++));
        out.push_back(std::move(c));
    }
    return out;
}

std::vector<std::string_view> split_tabs(std::string_view line) {
    std::vector<std::string_view> f;
    std::size_t start = 0;
    for (;;) {
        auto tab = line.find('\t', start);
        f.push_back(line.substr(start, tab - start));
        if (tab == std::string_view::npos) break;
        start = tab + 1;
    }
    return f;
}

// Netscape cookies.txt: domain, include-subdomains, path, secure, expiry
// (seconds), name, value — tab separated; "#HttpOnly_" prefixes http-only
// cookies; other lines starting with '#' are comments.
Result<std::vector<Cookie>> parse_netscape_export(std::string_view text) {
    std::vector<Cookie> out;
    std::size_t line_no = 0;
    while (!text.empty()) {
        auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        bool http_only = false;
        if (line.starts_with("#HttpOnly_")) {
            http_only = true;
            line.remove_prefix(10);
        } else if (line.empty() || line.front() == '#') {
            continue;
        }
        auto f = split_tabs(line);
        if (f.size() != 7)
            return fail(ErrorCode::invalid_argument,
                        "cookies.txt line " + std::to_string(line_no) + ": expected 7 tab-separated fields, got " +
                            std::to_string(f.size()),
                        "cookies");
        Cookie c;
        c.domain = std::string(f[0]);
        c.path = std::string(f[2]);
        c.secure = f[3] == "TRUE";
        c.http_only = http_only;
        std::int64_t seconds = 0;
        auto [p, ec] = std::from_chars(f[4].data(), f[4].data() + f[4].size(), seconds);
        if (ec != std::errc{} || p != f[4].data() + f[4].size())
            return fail(ErrorCode::invalid_argument,
                        "cookies.txt line " + std::to_string(line_no) + ": expiry must be a whole number of seconds",
                        "cookies");
        c.expires = expiry_from_seconds(static_cast<double>(seconds));
        c.name = std::string(f[5]);
        c.value = std::string(f[6]);
        if (auto s = validate_cookie(c, out.size()); !s)
            return fail(ErrorCode::invalid_argument, "cookies.txt line " + std::to_string(line_no) + ": " +
                                                         s.error().message, "cookies");
        out.push_back(std::move(c));
        if (out.size() > kMaxCookies) return fail(ErrorCode::invalid_argument, "too many cookies (at most 1000)", "cookies");
    }
    if (out.empty()) return fail(ErrorCode::invalid_argument, "cookies.txt contains no cookies", "cookies");
    return out;
}

bool same_cookie(const Cookie& a, const Cookie& b) {
    return a.name == b.name && a.domain == b.domain && a.path == b.path;
}

}  // namespace

Status validate_cookie(const Cookie& c, std::size_t index) {
    if (c.name.empty() || c.name.size() > 256 || has_bad_chars(c.name, false) || c.name.find('=') != std::string::npos)
        return cookie_error(index, "name must be 1 to 256 characters without spaces, ';' or '='");
    if (c.value.size() > 8192 || has_bad_chars(c.value, true))
        return cookie_error(index, "value of '" + c.name + "' is too long or contains control characters or ';'");
    if (c.domain.empty() || c.domain.size() > 253 || has_bad_chars(c.domain, false))
        return cookie_error(index, "domain of '" + c.name + "' is empty or invalid");
    if (c.path.empty() || c.path.front() != '/' || c.path.size() > 1024 || has_bad_chars(c.path, false))
        return cookie_error(index, "path of '" + c.name + "' must start with '/'");
    return {};
}

std::string encode_cookie_jar(const std::vector<Cookie>& cookies) {
    std::string out;
    json::Writer w(out);
    w.begin_array();
    for (const auto& c : cookies) {
        w.begin_object();
        w.key("name"), w.value(c.name);
        w.key("value"), w.value(c.value);
        w.key("domain"), w.value(c.domain);
        w.key("path"), w.value(c.path);
        w.key("expires");
        if (c.expires) w.value(to_micros(*c.expires));
        else w.value(nullptr);
        w.key("secure"), w.value(c.secure);
        w.key("http_only"), w.value(c.http_only);
        w.end_object();
    }
    w.end_array();
    return out;
}

Result<std::vector<Cookie>> decode_cookie_jar(std::string_view text) {
    GK_ASSIGN_OR_RETURN(auto doc, json::parse(text));
    if (!doc.is_array()) return fail(ErrorCode::data_loss, "stored cookie jar is not a JSON array");
    std::vector<Cookie> out;
    for (const auto& v : doc.as_array()) {
        if (!v.is_object()) return fail(ErrorCode::data_loss, "stored cookie jar has a non-object entry");
        json::ObjectReader r(v, "cookie");
        Cookie c;
        auto name = r.required_string("name");
        auto value = r.required_string("value");
        auto domain = r.required_string("domain");
        auto path = r.required_string("path");
        auto expires = r.optional_int("expires");
        auto secure = r.optional_bool("secure");
        auto http_only = r.optional_bool("http_only");
        if (!name || !value || !domain || !path || !expires || !secure || !http_only)
            return fail(ErrorCode::data_loss, "stored cookie jar has a malformed entry");
        c.name = std::move(*name);
        c.value = std::move(*value);
        c.domain = std::move(*domain);
        c.path = std::move(*path);
        if (*expires) c.expires = from_micros(**expires);
        c.secure = secure->value_or(false);
        c.http_only = http_only->value_or(false);
        out.push_back(std::move(c));
    }
    return out;
}

void drop_expired(std::vector<Cookie>& jar, Timestamp now) {
    std::erase_if(jar, [&](const Cookie& c) { return c.expires && *c.expires <= now; });
}

void merge_cookies(std::vector<Cookie>& jar, const std::vector<Cookie>& incoming, Timestamp now) {
    for (const auto& c : incoming) {
        std::erase_if(jar, [&](const Cookie& old) { return same_cookie(old, c); });
        if (!c.expires || *c.expires > now) jar.push_back(c);
    }
    drop_expired(jar, now);
}

}  // namespace gramkit::accounts

namespace gramkit {

Result<std::vector<Cookie>> parse_cookie_export(std::string_view text) {
    if (text.size() > 4 * 1024 * 1024)
        return fail(ErrorCode::invalid_argument, "cookie export is too large (at most 4 MiB)", "cookies");
    auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return fail(ErrorCode::invalid_argument, "cookie export is empty", "cookies");
    if (text[first] == '[' || text[first] == '{') return accounts::parse_json_export(text);
    return accounts::parse_netscape_export(text);
}

}  // namespace gramkit
