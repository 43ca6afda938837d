#include "engine/ops/models.hpp"

#include "engine/ops/instagram_json.hpp"
#include "engine/ops/jobs_json.hpp"
#include "engine/ops/scrape_json.hpp"
#include "gramkit/time_format.hpp"

namespace gramkit::engine {
namespace {


json::Value strings(const std::vector<std::string>& v) {
    json::Value out = json::Value::array();
    for (const auto& s : v) out.push_back(s);
    return out;
}

}  // namespace

json::Value to_json(Timestamp t) { return format_timestamp_utc(t); }
json::Value to_json(const std::optional<Timestamp>& t) { return t ? to_json(*t) : json::Value(); }

json::Value to_json(const Account& a) {
    json::Value o = json::Value::object();
    o.set("id", a.id);
    o.set("username", a.username);
    o.set("email", or_null(a.email));
    o.set("labels", strings(a.labels));
    o.set("status", to_string(a.status));
    o.set("status_reason", a.status_reason);
    o.set("cooldown_until", to_json(a.cooldown_until));
    o.set("proxy_id", or_null(a.proxy_id));
    o.set("has_totp_seed", a.has_totp_seed);
    o.set("created_at", to_json(a.created_at));
    o.set("updated_at", to_json(a.updated_at));
    return o;
}

json::Value to_json(const StatusChange& c) {
    json::Value o = json::Value::object();
    o.set("account_id", c.account_id);
    o.set("from", to_string(c.from));
    o.set("to", to_string(c.to));
    o.set("reason", c.reason);
    o.set("until", to_json(c.until));
    o.set("at", to_json(c.at));
    return o;
}

json::Value to_json(const Proxy& p) {
    json::Value o = json::Value::object();
    o.set("id", p.id);
    o.set("url", p.url);
    o.set("scheme", to_string(p.scheme));
    o.set("host", p.host);
    o.set("port", static_cast<std::int64_t>(p.port));
    o.set("username", or_null(p.username));
    o.set("has_password", p.has_password);
    o.set("health", to_string(p.health));
    o.set("failure_count", p.failure_count);
    o.set("max_accounts", p.max_accounts);
    o.set("assigned_accounts", p.assigned_accounts);
    o.set("created_at", to_json(p.created_at));
    o.set("updated_at", to_json(p.updated_at));
    return o;
}

json::Value to_json(const Session& s) {
    json::Value o = json::Value::object();
    o.set("account_id", s.account_id);
    o.set("user_agent", s.device.user_agent);
    o.set("device_id", s.device.device_id);
    o.set("locale", s.device.locale);
    o.set("cookie_count", s.cookie_count);
    o.set("valid", s.valid);
    o.set("invalid_reason", s.invalid_reason);
    o.set("created_at", to_json(s.created_at));
    o.set("last_used_at", to_json(s.last_used_at));
    o.set("expires_at", to_json(s.expires_at));
    return o;
}

json::Value to_json(const RewrapReport& r) {
    json::Value o = json::Value::object();
    o.set("key_id", r.key_id);
    o.set("examined", r.examined);
    o.set("rewrapped", r.rewrapped);
    return o;
}

json::Value cookie_summary(const Cookie& c) {
    json::Value o = json::Value::object();
    o.set("name", c.name);
    o.set("domain", c.domain);
    o.set("path", c.path);
    o.set("expires", to_json(c.expires));
    o.set("secure", c.secure);
    o.set("http_only", c.http_only);
    return o;
}

json::Value shape(std::initializer_list<std::pair<const char*, const char*>> fields) {
    json::Value out = json::Value::object();
    for (const auto& [name, type] : fields) out.set(name, type);
    return out;
}

json::Value model_shapes() {
    json::Value o = json::Value::object();
    o.set("Account", shape({{"id", "integer"}, {"username", "string"}, {"email", "string|null"},
                            {"labels", "string[]"}, {"status", "string"}, {"status_reason", "string"},
                            {"cooldown_until", "timestamp|null"}, {"proxy_id", "integer|null"},
                            {"has_totp_seed", "boolean"}, {"created_at", "timestamp"}, {"updated_at", "timestamp"}}));
    o.set("StatusChange", shape({{"account_id", "integer"}, {"from", "string"}, {"to", "string"},
                                 {"reason", "string"}, {"until", "timestamp|null"}, {"at", "timestamp"}}));
    o.set("Proxy", shape({{"id", "integer"}, {"url", "string (password redacted)"}, {"scheme", "string"},
                          {"host", "string"}, {"port", "integer"}, {"username", "string|null"},
                          {"has_password", "boolean"}, {"health", "string"}, {"failure_count", "integer"},
                          {"max_accounts", "integer"}, {"assigned_accounts", "integer"},
                          {"created_at", "timestamp"}, {"updated_at", "timestamp"}}));
    o.set("Session", shape({{"account_id", "integer"}, {"user_agent", "string"}, {"device_id", "string"},
                            {"locale", "string"}, {"cookie_count", "integer"}, {"valid", "boolean"},
                            {"invalid_reason", "string"}, {"created_at", "timestamp"},
                            {"last_used_at", "timestamp"}, {"expires_at", "timestamp|null"}}));
    o.set("CookieSummary", shape({{"name", "string"}, {"domain", "string"}, {"path", "string"},
                                  {"expires", "timestamp|null"}, {"secure", "boolean"}, {"http_only", "boolean"}}));
    o.set("Page<T>", shape({{"items", "T[]"}, {"next_after", "integer|null (pass as 'after' for the next page)"}}));
    o.set("RewrapReport", shape({{"key_id", "string"}, {"examined", "integer"}, {"rewrapped", "integer"}}));
    o.set("Checkout", shape({{"account_id", "integer"}, {"username", "string"}, {"proxy_id", "integer|null"}}));
    o.set("Ok", shape({{"ok", "boolean"}}));
    add_instagram_shapes(o);
    add_job_shapes(o);
    add_scrape_shapes(o);
    return o;
}

std::size_t limit_or(std::optional<std::int64_t> limit, std::size_t fallback) {
    if (!limit) return fallback;
    // Negative or huge values become 0 / large, which the services reject
    // with a message naming 'limit'.
    if (*limit < 0) return 0;
    return static_cast<std::size_t>(std::min<std::int64_t>(*limit, 1'000'000));
}

}  // namespace gramkit::engine
