// RFC 6265 cookie parsing, matching and storage (see cookie_jar.hpp).
#include "net/cookie_jar.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "net/http_date.hpp"

namespace gramkit::net {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool is_ip_literal(std::string_view host) {
    if (host.find(':') != std::string_view::npos) return true;
    return !host.empty() && std::all_of(host.begin(), host.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

// Max-Age: "-"? DIGIT+ (§5.2.2); anything else ignores the attribute.
std::optional<long long> parse_max_age(std::string_view v) {
    if (v.empty()) return std::nullopt;
    bool negative = v.front() == '-';
    std::string_view digits = negative ? v.substr(1) : v;
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    long long value = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec == std::errc::result_out_of_range) value = 100LL * 365 * 24 * 3600;  // "forever"
    else if (ec != std::errc{}) return std::nullopt;
    (void)ptr;
    return negative ? -value : value;
}

bool expired(const StoredCookie& c, Timestamp now) { return c.expires && *c.expires <= now; }

bool is_token_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

}  // namespace

bool domain_matches(std::string_view host, std::string_view domain) {
    if (host == domain) return true;
    if (is_ip_literal(host)) return false;
    return host.size() > domain.size() && host.ends_with(domain) && host[host.size() - domain.size() - 1] == '.';
}

bool path_matches(std::string_view request_path, std::string_view cookie_path) {
    if (request_path == cookie_path) return true;
    if (!request_path.starts_with(cookie_path)) return false;
    return cookie_path.ends_with('/') || request_path[cookie_path.size()] == '/';
}

std::string default_cookie_path(std::string_view request_path) {
    if (request_path.empty() || request_path.front() != '/') return "/";
    const auto last = request_path.rfind('/');
    if (last == 0) return "/";
    return std::string(request_path.substr(0, last));
}

std::optional<StoredCookie> parse_set_cookie(std::string_view header_value, const Url& request_url, Timestamp now) {
    // RFC 6265bis §5.6 step 1: a control character (other than HTAB)
    // anywhere voids the whole line. Kept, a CR/LF in a value would be
    // written back into our own Cookie header (header injection).
    for (unsigned char ch : header_value)
        if ((ch < 0x20 && ch != '\t') || ch == 0x7F) return std::nullopt;
    const auto semi = header_value.find(';');
    std::string_view pair = header_value.substr(0, semi);
    std::string_view attributes = semi == std::string_view::npos ? std::string_view{} : header_value.substr(semi + 1);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    StoredCookie c;
    c.name = std::string(trim(pair.substr(0, eq)));
    c.value = std::string(trim(pair.substr(eq + 1)));
    if (c.name.empty()) return std::nullopt;
    // RFC 6265bis §5.6: name + value over 4096 bytes voids the cookie (and
    // keeps our Cookie header bounded); a name must be an RFC 9110 token —
    // spaces or separators in it would be sent back as a different cookie.
    if (c.name.size() + c.value.size() > kMaxCookieNameValueBytes) return std::nullopt;
    if (!std::all_of(c.name.begin(), c.name.end(), is_token_char)) return std::nullopt;

    std::optional<Timestamp> expires_attr;
    std::optional<Timestamp> max_age_attr;
    std::optional<std::string> domain_attr;
    std::optional<std::string> path_attr;
    while (!attributes.empty()) {
        const auto next = attributes.find(';');
        std::string_view av = attributes.substr(0, next);
        attributes = next == std::string_view::npos ? std::string_view{} : attributes.substr(next + 1);
        const auto aeq = av.find('=');
        const std::string name = lower(trim(av.substr(0, aeq)));
        std::string_view value = aeq == std::string_view::npos ? std::string_view{} : trim(av.substr(aeq + 1));
        if (name == "expires") {
            if (auto t = parse_http_date(value)) expires_attr = t;
        } else if (name == "max-age") {
            if (auto secs = parse_max_age(value)) {
                // §5.2.2: zero or negative means "the earliest representable
                // time"; RFC 6265bis caps the lifetime at 400 days (clamped
                // before the addition, which could overflow otherwise).
                max_age_attr = *secs <= 0 ? Timestamp{}
                                          : now + std::min<std::chrono::seconds>(std::chrono::seconds{*secs},
                                                                                 kMaxCookieLifetime);
            }
        } else if (name == "domain") {
            if (value.starts_with('.')) value.remove_prefix(1);
            if (!value.empty()) domain_attr = lower(value);
        } else if (name == "path") {
            if (value.starts_with('/')) path_attr = std::string(value);
        } else if (name == "secure") {
            c.secure = true;
        } else if (name == "httponly") {
            c.http_only = true;
        }  // SameSite and unknown attributes are ignored
    }

    c.expires = max_age_attr ? max_age_attr : expires_attr;  // Max-Age wins (§5.3 step 3)
    if (c.expires && *c.expires > now + kMaxCookieLifetime) c.expires = now + kMaxCookieLifetime;
    if (domain_attr) {
        if (!domain_matches(request_url.host, *domain_attr)) return std::nullopt;
        c.domain = *domain_attr;
        c.host_only = false;
    } else {
        c.domain = request_url.host;
        c.host_only = true;
    }
    c.path = path_attr ? *path_attr : default_cookie_path(request_url.path());
    // RFC 6265bis: a plain-http response may not set a Secure cookie.
    if (c.secure && !request_url.is_https()) return std::nullopt;
    return c;
}

CookieJar::CookieJar(std::shared_ptr<const Clock> clock) : clock_(clock ? std::move(clock) : SystemClock::shared()) {}

bool CookieJar::apply_locked(StoredCookie cookie, Timestamp now) {
    auto same = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) {
        return e.cookie.name == cookie.name && e.cookie.domain == cookie.domain && e.cookie.path == cookie.path;
    });
    if (expired(cookie, now)) {
        if (same == entries_.end()) return false;
        entries_.erase(same);
        return true;
    }
    if (same != entries_.end()) {
        const bool differs = same->cookie.value != cookie.value || same->cookie.expires != cookie.expires ||
                             same->cookie.secure != cookie.secure || same->cookie.http_only != cookie.http_only ||
                             same->cookie.host_only != cookie.host_only;
        // §5.3 step 11: a replacement keeps the original creation time.
        same->cookie = std::move(cookie);
        return differs;
    }
    entries_.push_back(Entry{std::move(cookie), next_seq_++});
    return true;
}

void CookieJar::notify_if(bool changed) {
    if (!changed) return;
    std::function<void()> callback;
    {
        std::lock_guard lock(mutex_);
        ++version_;
        callback = on_change_;
    }
    if (callback) callback();
}

bool CookieJar::set_cookie(const Url& request_url, std::string_view set_cookie_value) {
    const Timestamp now = clock_->now();
    auto parsed = parse_set_cookie(set_cookie_value, request_url, now);
    if (!parsed) return false;
    bool changed;
    {
        std::lock_guard lock(mutex_);
        changed = apply_locked(std::move(*parsed), now);
    }
    notify_if(changed);
    return changed;
}

bool CookieJar::update_from_response(const Url& request_url, const Headers& response_headers) {
    const Timestamp now = clock_->now();
    bool changed = false;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [name, value] : response_headers) {
            if (!iequals(name, "Set-Cookie")) continue;
            if (auto parsed = parse_set_cookie(value, request_url, now)) changed = apply_locked(std::move(*parsed), now) || changed;
        }
    }
    notify_if(changed);
    return changed;
}

std::string CookieJar::cookie_header_for(const Url& url) const {
    const Timestamp now = clock_->now();
    std::vector<const Entry*> matching;
    std::lock_guard lock(mutex_);
    for (const auto& e : entries_) {
        const StoredCookie& c = e.cookie;
        if (expired(c, now)) continue;
        if (c.host_only ? url.host != c.domain : !domain_matches(url.host, c.domain)) continue;
        if (!path_matches(url.path(), c.path)) continue;
        if (c.secure && !url.is_https()) continue;
        matching.push_back(&e);
    }
    std::stable_sort(matching.begin(), matching.end(), [](const Entry* a, const Entry* b) {
        if (a->cookie.path.size() != b->cookie.path.size()) return a->cookie.path.size() > b->cookie.path.size();
        return a->created_seq < b->created_seq;
    });
    // At most kMaxCookieHeaderBytes: a cookie that would not fit is skipped
    // (the order of the others is kept), so no jar content can produce a
    // header Beast refuses to write.
    std::string header;
    for (const Entry* e : matching) {
        const std::size_t extra = (header.empty() ? 0 : 2) + e->cookie.name.size() + 1 + e->cookie.value.size();
        if (header.size() + extra > kMaxCookieHeaderBytes) continue;
        if (!header.empty()) header += "; ";
        header += e->cookie.name;
        header += '=';
        header += e->cookie.value;
    }
    return header;
}

std::vector<Cookie> CookieJar::to_cookies() const {
    const Timestamp now = clock_->now();
    std::vector<Cookie> out;
    std::lock_guard lock(mutex_);
    for (const auto& e : entries_) {
        const StoredCookie& c = e.cookie;
        if (expired(c, now)) continue;
        out.push_back(Cookie{c.name, c.value, c.host_only ? c.domain : "." + c.domain, c.path, c.expires, c.secure,
                             c.http_only});
    }
    return out;
}

void CookieJar::load(const std::vector<Cookie>& cookies) {
    const Timestamp now = clock_->now();
    std::lock_guard lock(mutex_);
    entries_.clear();
    for (const Cookie& in : cookies) {
        StoredCookie c;
        c.name = in.name;
        c.value = in.value;
        std::string_view domain = in.domain;
        c.host_only = !domain.starts_with('.');
        if (!c.host_only) domain.remove_prefix(1);
        c.domain = lower(domain);
        c.path = in.path.empty() || in.path.front() != '/' ? "/" : in.path;
        c.expires = in.expires;
        c.secure = in.secure;
        c.http_only = in.http_only;
        if (c.name.empty() || c.domain.empty()) continue;
        apply_locked(std::move(c), now);
    }
}

void CookieJar::on_change(std::function<void()> callback) {
    std::lock_guard lock(mutex_);
    on_change_ = std::move(callback);
}

std::uint64_t CookieJar::version() const {
    std::lock_guard lock(mutex_);
    return version_;
}

std::size_t CookieJar::size() const {
    const Timestamp now = clock_->now();
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(
        std::count_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return !expired(e.cookie, now); }));
}

}  // namespace gramkit::net
