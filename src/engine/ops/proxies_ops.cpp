// proxies.* operations → ProxyService.
#include "engine/operation_registry.hpp"
#include "engine/ops/models.hpp"
#include "gramkit/engine.hpp"

namespace gramkit::engine {
namespace {

using enum ParamType;

json::Value ok() { return json::Value(json::Value::Object{{"ok", true}}); }

Result<json::Value> proxy_result(Result<Proxy> p) {
    if (!p) return fail(std::move(p).error());
    return to_json(*p);
}

// Integers from JSON are 64-bit; the services take int.
Result<int> small_int(const Params& p, std::string_view name, int fallback) {
    auto v = p.opt_integer(name);
    if (!v) return fallback;
    if (*v < -1'000'000 || *v > 1'000'000)
        return fail(ErrorCode::invalid_argument, "'" + std::string(name) + "' is out of range", std::string(name));
    return static_cast<int>(*v);
}

Result<json::Value> create(Engine& e, const Params& p) {
    GK_ASSIGN_OR_RETURN(int max, small_int(p, "max_accounts", 3));
    return proxy_result(e.proxies().create({p.string("url"), max}));
}

Result<json::Value> list(Engine& e, const Params& p) {
    ProxyFilter f;
    if (auto h = p.opt_string("health")) {
        GK_ASSIGN_OR_RETURN(f.health, parse_proxy_health(*h));
    }
    f.after = p.opt_integer("after");
    f.limit = limit_or(p.opt_integer("limit"), 50);
    GK_ASSIGN_OR_RETURN(auto page, e.proxies().list(f));
    return page_to_json(page);
}

Result<json::Value> set_health(Engine& e, const Params& p) {
    GK_ASSIGN_OR_RETURN(auto h, parse_proxy_health(p.string("health")));
    return proxy_result(e.proxies().set_health(p.integer("id"), h));
}

Result<json::Value> set_max(Engine& e, const Params& p) {
    GK_ASSIGN_OR_RETURN(int max, small_int(p, "max_accounts", 0));
    return proxy_result(e.proxies().set_max_accounts(p.integer("id"), max));
}

}  // namespace

void register_proxy_operations(OperationRegistry& r) {
    const ParamSpec id{"id", integer, true, "proxy id"};
    const ParamSpec account_id{"account_id", integer, true, "account id"};
    r.add({"proxies.create", "Add a proxy; a password in the URL is encrypted at rest.", "proxies:write",
           {{"url", string, true, "http://, https:// or socks5:// [user[:password]@]host:port"},
            {"max_accounts", integer, false, "accounts this proxy may carry, 1-10000 (default 3)"}},
           "Proxy", create});
    r.add({"proxies.get", "Get a proxy.", "proxies:read", {id},
           "Proxy", [](Engine& e, const Params& p) { return proxy_result(e.proxies().get(p.integer("id"))); }});
    r.add({"proxies.list", "List proxies by id, keyset-paginated.", "proxies:read",
           {{"health", string, false, "healthy or unhealthy"},
            {"after", integer, false, "cursor"},
            {"limit", integer, false, "1-1000 (default 50)"}},
           "Page<Proxy>", list});
    r.add({"proxies.delete", "Delete a proxy that no account uses.", "proxies:write", {id}, "Ok",
           [](Engine& e, const Params& p) -> Result<json::Value> {
               GK_TRY(e.proxies().remove(p.integer("id")));
               return ok();
           }});
    r.add({"proxies.set_health", "Mark a proxy healthy or unhealthy.", "proxies:write",
           {id, {"health", string, true, "healthy or unhealthy"}}, "Proxy", set_health});
    r.add({"proxies.set_max_accounts", "Change how many accounts a proxy may carry.", "proxies:write",
           {id, {"max_accounts", integer, true, "1-10000"}}, "Proxy", set_max});
    r.add({"proxies.report_failure", "Count a failure; enough in a row make the proxy unhealthy.", "proxies:write",
           {id}, "Proxy",
           [](Engine& e, const Params& p) { return proxy_result(e.proxies().report_failure(p.integer("id"))); }});
    r.add({"proxies.report_success", "Reset the failure count and mark healthy.", "proxies:write", {id}, "Proxy",
           [](Engine& e, const Params& p) { return proxy_result(e.proxies().report_success(p.integer("id"))); }});
    r.add({"proxies.assign", "Sticky assignment: keep a healthy proxy or pick the least loaded one.",
           "proxies:write", {account_id}, "Proxy",
           [](Engine& e, const Params& p) { return proxy_result(e.proxies().assign(p.integer("account_id"))); }});
    r.add({"proxies.assign_to", "Assign a specific proxy to an account.", "proxies:write",
           {account_id, {"proxy_id", integer, true, "proxy id"}}, "Proxy",
           [](Engine& e, const Params& p) {
               return proxy_result(e.proxies().assign_to(p.integer("account_id"), p.integer("proxy_id")));
           }});
    r.add({"proxies.unassign", "Remove an account's proxy.", "proxies:write", {account_id}, "Ok",
           [](Engine& e, const Params& p) -> Result<json::Value> {
               GK_TRY(e.proxies().unassign(p.integer("account_id")));
               return ok();
           }});
}

}  // namespace gramkit::engine
