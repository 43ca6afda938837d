// sessions.* operations → SessionService and SessionManager. Cookie values
// go in, never out: `sessions.cookies` lists names, domains and expiry only.
#include "engine/operation_registry.hpp"
#include "engine/ops/models.hpp"
#include "gramkit/engine.hpp"
#include "gramkit/time_format.hpp"

namespace gramkit::engine {
namespace {

using enum ParamType;

json::Value ok() { return json::Value(json::Value::Object{{"ok", true}}); }

Result<json::Value> session_result(Result<Session> s) {
    if (!s) return fail(std::move(s).error());
    return to_json(*s);
}

// The stored cookie shape: {name, value, domain, path, expires (RFC 3339 or
// null), secure, http_only}.
Result<std::vector<Cookie>> cookies_from(const json::Value& array) {
    std::vector<Cookie> out;
    std::size_t i = 0;
    for (const auto& v : array.as_array()) {
        const std::string path = "cookies[" + std::to_string(i++) + "]";
        if (!v.is_object()) return fail(ErrorCode::invalid_argument, "'" + path + "' must be an object", path);
        json::ObjectReader r(v, path);
        Cookie c;
        GK_ASSIGN_OR_RETURN(c.name, r.required_string("name"));
        GK_ASSIGN_OR_RETURN(c.value, r.required_string("value"));
        GK_ASSIGN_OR_RETURN(c.domain, r.required_string("domain"));
        GK_ASSIGN_OR_RETURN(auto cpath, r.optional_string("path"));
        c.path = cpath.value_or("/");
        GK_ASSIGN_OR_RETURN(auto expires, r.optional_string("expires"));
        if (expires) {
            auto t = parse_timestamp_utc(*expires);
            if (!t) return fail(ErrorCode::invalid_argument, "'" + r.path("expires") + "': " + t.error().message, r.path("expires"));
            c.expires = *t;
        }
        GK_ASSIGN_OR_RETURN(auto secure, r.optional_bool("secure"));
        c.secure = secure.value_or(false);
        GK_ASSIGN_OR_RETURN(auto http_only, r.optional_bool("http_only"));
        c.http_only = http_only.value_or(false);
        GK_TRY(r.reject_unknown_keys());
        out.push_back(std::move(c));
    }
    return out;
}

std::optional<DeviceInfo> device_from(const Params& p) {
    if (!p.has("user_agent") && !p.has("device_id") && !p.has("locale")) return std::nullopt;
    DeviceInfo d;
    d.user_agent = p.opt_string("user_agent").value_or("");
    d.device_id = p.opt_string("device_id").value_or("");
    d.locale = p.opt_string("locale").value_or("en_US");
    return d;
}

Result<json::Value> save(Engine& e, const Params& p, bool merge) {
    GK_ASSIGN_OR_RETURN(auto cookies, cookies_from(*p.raw("cookies")));
    auto id = p.integer("account_id");
    auto device = device_from(p);
    return session_result(merge ? e.sessions().save_cookies(id, cookies, device)
                                : e.sessions().replace_cookies(id, cookies, device));
}

Result<json::Value> import_cookies(Engine& e, const Params& p) {
    GK_ASSIGN_OR_RETURN(auto cookies, parse_cookie_export(p.string("text")));
    return session_result(e.sessions().save_cookies(p.integer("account_id"), cookies, device_from(p)));
}

Result<json::Value> cookie_list(Engine& e, const Params& p) {
    GK_ASSIGN_OR_RETURN(auto jar, e.sessions().load_cookies(p.integer("account_id")));
    json::Value items = json::Value::array();
    for (const auto& c : jar) items.push_back(cookie_summary(c));
    return json::Value(json::Value::Object{{"items", std::move(items)}});
}

Result<json::Value> list(Engine& e, const Params& p) {
    SessionFilter f;
    f.valid_only = p.opt_bool("valid_only").value_or(false);
    f.after = p.opt_integer("after");
    f.limit = limit_or(p.opt_integer("limit"), 50);
    GK_ASSIGN_OR_RETURN(auto page, e.sessions().list(f));
    return page_to_json(page);
}

Result<json::Value> checkout(Engine& e, const Params&) {
    GK_ASSIGN_OR_RETURN(auto c, e.session_manager().checkout());
    json::Value o = json::Value::object();
    o.set("account_id", c.account_id);
    o.set("username", c.username);
    o.set("proxy_id", or_null(c.proxy_id));
    return o;
}

}  // namespace

void register_session_operations(OperationRegistry& r) {
    const ParamSpec account_id{"account_id", integer, true, "account id"};
    const ParamSpec user_agent{"user_agent", string, false, "device user agent"};
    const ParamSpec device_id{"device_id", string, false, "device id"};
    const ParamSpec locale{"locale", string, false, "locale, e.g. en_US"};
    const ParamSpec cookies{"cookies", array, true,
                            "[{name, value, domain, path?, expires? (RFC 3339), secure?, http_only?}]"};
    r.add({"sessions.get", "An account's session (without cookie values).", "sessions:read", {account_id},
           "Session", [](Engine& e, const Params& p) { return session_result(e.sessions().get(p.integer("account_id"))); }});
    r.add({"sessions.save_cookies", "Merge cookies into the account's encrypted jar (creates the session).",
           "sessions:write", {account_id, cookies, user_agent, device_id, locale}, "Session",
           [](Engine& e, const Params& p) { return save(e, p, true); }});
    r.add({"sessions.replace_cookies", "Replace the account's whole cookie jar.", "sessions:write",
           {account_id, cookies, user_agent, device_id, locale}, "Session",
           [](Engine& e, const Params& p) { return save(e, p, false); }});
    r.add({"sessions.import_cookies", "Merge cookies from a browser JSON export or a Netscape cookies.txt.",
           "sessions:write", {account_id, {"text", string, true, "the exported file's text"}, user_agent, device_id, locale},
           "Session", import_cookies});
    r.add({"sessions.cookies", "The unexpired cookies of a session, without values.", "sessions:read", {account_id},
           "{items: CookieSummary[]}", cookie_list});
    r.add({"sessions.invalidate", "Mark a session invalid.", "sessions:write",
           {account_id, {"reason", string, true, "why, e.g. login_required"}}, "Ok",
           [](Engine& e, const Params& p) -> Result<json::Value> {
               GK_TRY(e.sessions().invalidate(p.integer("account_id"), p.string("reason")));
               return ok();
           }});
    r.add({"sessions.list", "Sessions across accounts, keyset-paginated by account id.", "sessions:read",
           {{"valid_only", boolean, false, "only valid sessions"},
            {"after", integer, false, "cursor"},
            {"limit", integer, false, "1-1000 (default 50)"}},
           "Page<Session>", list});
    r.add({"sessions.checkout", "Check out the least recently used active account with a valid session.",
           "sessions:write", {}, "Checkout", checkout});
    r.add({"sessions.checkin", "Return a checked-out account.", "sessions:write", {account_id}, "Ok",
           [](Engine& e, const Params& p) -> Result<json::Value> {
               GK_TRY(e.session_manager().checkin(p.integer("account_id")));
               return ok();
           }});
}

}  // namespace gramkit::engine
