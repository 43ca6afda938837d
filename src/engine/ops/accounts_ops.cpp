// accounts.* operations → AccountService.
#include "engine/operation_registry.hpp"
#include "engine/ops/models.hpp"
#include "gramkit/engine.hpp"

namespace gramkit::engine {
namespace {

using enum ParamType;

Result<json::Value> create(Engine& e, const Params& p) {
    NewAccount spec;
    spec.username = p.string("username");
    spec.password = p.string("password");
    spec.email = p.opt_string("email");
    spec.totp_seed = p.opt_string("totp_seed");
    spec.labels = p.opt_strings("labels").value_or(std::vector<std::string>{});
    GK_ASSIGN_OR_RETURN(auto a, e.accounts().create(spec));
    return to_json(a);
}

Result<json::Value> create_many(Engine& e, const Params& p) {
    std::vector<NewAccount> specs;
    std::size_t i = 0;
    for (const auto& v : p.raw("accounts")->as_array()) {
        const std::string path = "accounts[" + std::to_string(i++) + "]";
        if (!v.is_object()) return fail(ErrorCode::invalid_argument, "'" + path + "' must be an object", path);
        json::ObjectReader r(v, path);
        NewAccount spec;
        GK_ASSIGN_OR_RETURN(spec.username, r.required_string("username"));
        GK_ASSIGN_OR_RETURN(spec.password, r.required_string("password"));
        GK_ASSIGN_OR_RETURN(spec.email, r.optional_string("email"));
        GK_ASSIGN_OR_RETURN(spec.totp_seed, r.optional_string("totp_seed"));
        GK_ASSIGN_OR_RETURN(const json::Value* labels, r.optional_array("labels"));
        if (labels) {
            for (const auto& l : labels->as_array()) {
                if (!l.is_string())
                    return fail(ErrorCode::invalid_argument, "'" + r.path("labels") + "' must be an array of strings",
                                r.path("labels"));
                spec.labels.push_back(l.as_string());
            }
        }
        GK_TRY(r.reject_unknown_keys());
        specs.push_back(std::move(spec));
    }
    GK_ASSIGN_OR_RETURN(auto created, e.accounts().create_many(specs));
    json::Value items = json::Value::array();
    for (const auto& a : created) items.push_back(to_json(a));
    return json::Value(json::Value::Object{{"items", std::move(items)}});
}

Result<json::Value> get(Engine& e, const Params& p) {
    GK_ASSIGN_OR_RETURN(auto a, e.accounts().get(p.integer("id")));
    return to_json(a);
}

Result<json::Value> get_by_username(Engine& e, const Params& p) {
    GK_ASSIGN_OR_RETURN(auto a, e.accounts().get_by_username(p.string("username")));
    return to_json(a);
}

Result<json::Value> list(Engine& e, const Params& p) {
    AccountFilter f;
    if (auto s = p.opt_string("status")) {
        GK_ASSIGN_OR_RETURN(f.status, parse_account_status(*s));
    }
    f.label = p.opt_string("label");
    f.after = p.opt_integer("after");
    f.limit = limit_or(p.opt_integer("limit"), 50);
    GK_ASSIGN_OR_RETURN(auto page, e.accounts().list(f));
    return page_to_json(page);
}

// A present string sets, an explicit null clears, absence keeps.
std::optional<std::optional<std::string>> clearable(const Params& p, std::string_view name) {
    if (p.is_null(name)) return std::optional<std::string>{};
    if (p.has(name)) return p.opt_string(name);
    return std::nullopt;
}

Result<json::Value> update(Engine& e, const Params& p) {
    AccountUpdate u;
    u.username = p.opt_string("username");
    u.password = p.opt_string("password");
    u.email = clearable(p, "email");
    u.totp_seed = clearable(p, "totp_seed");
    u.labels = p.opt_strings("labels");
    GK_ASSIGN_OR_RETURN(auto a, e.accounts().update(p.integer("id"), u));
    return to_json(a);
}

Result<json::Value> remove(Engine& e, const Params& p) {
    GK_TRY(e.accounts().remove(p.integer("id")));
    return json::Value(json::Value::Object{{"ok", true}});
}

Result<json::Value> set_status(Engine& e, const Params& p) {
    GK_ASSIGN_OR_RETURN(auto status, parse_account_status(p.string("status")));
    GK_ASSIGN_OR_RETURN(auto a, e.accounts().change_status(p.integer("id"), status, p.string("reason"),
                                                           p.opt_timestamp("until")));
    return to_json(a);
}

Result<json::Value> cooldown(Engine& e, const Params& p) {
    GK_ASSIGN_OR_RETURN(auto a, e.accounts().cooldown(p.integer("id"), *p.opt_timestamp("until"), p.string("reason"),
                                                      p.opt_bool("escalate").value_or(false)));
    return to_json(a);
}

Result<json::Value> history(Engine& e, const Params& p) {
    GK_ASSIGN_OR_RETURN(auto changes, e.accounts().status_history(p.integer("id"), limit_or(p.opt_integer("limit"), 100)));
    json::Value items = json::Value::array();
    for (const auto& c : changes) items.push_back(to_json(c));
    return json::Value(json::Value::Object{{"items", std::move(items)}});
}

}  // namespace

void register_account_operations(OperationRegistry& r) {
    r.add({"accounts.create", "Register a bot account (status active); the password is encrypted at rest.",
           "accounts:write",
           {{"username", string, true, "Instagram username: 1-30 of [A-Za-z0-9._]"},
            {"password", string, true, "account password (secret)"},
            {"email", string, false, "contact email"},
            {"totp_seed", string, false, "base32 TOTP seed for two-factor login (secret)"},
            {"labels", string_array, false, "labels, each 1-64 of [A-Za-z0-9._:-]"}},
           "Account", create});
    r.add({"accounts.create_many", "Register several accounts in one transaction: all or none.", "accounts:write",
           {{"accounts", array, true, "[{username, password, email?, totp_seed?, labels?}] (at most 10000)"}},
           "{items: Account[]}", create_many});
    r.add({"accounts.get", "Get an account by id.", "accounts:read", {{"id", integer, true, "account id"}}, "Account", get});
    r.add({"accounts.get_by_username", "Get an account by username.", "accounts:read",
           {{"username", string, true, "username"}}, "Account", get_by_username});
    r.add({"accounts.list", "List accounts by id, keyset-paginated.", "accounts:read",
           {{"status", string, false, "only this status"},
            {"label", string, false, "only accounts with this label"},
            {"after", integer, false, "cursor: next_after of the previous page"},
            {"limit", integer, false, "page size 1-1000 (default 50)"}},
           "Page<Account>", list});
    r.add({"accounts.update", "Change fields of an account; null clears email or totp_seed.", "accounts:write",
           {{"id", integer, true, "account id"},
            {"username", string, false, "new username"},
            {"password", string, false, "new password (secret)"},
            {"email", string, false, "new email, or null to clear"},
            {"totp_seed", string, false, "new TOTP seed (secret), or null to clear"},
            {"labels", string_array, false, "replaces all labels"}},
           "Account", update});
    r.add({"accounts.delete", "Delete an account with its session, secrets and history.", "accounts:write",
           {{"id", integer, true, "account id"}}, "Ok", remove});
    r.add({"accounts.set_status", "Guarded status transition, recorded in the history.", "accounts:write",
           {{"id", integer, true, "account id"},
            {"status", string, true, "active, paused, cooldown, challenge_required, login_failed or disabled"},
            {"reason", string, true, "why (kept in the history)"},
            {"until", timestamp, false, "end of a cooldown (required for cooldown only)"}},
           "Account", set_status});
    r.add({"accounts.cooldown", "Cool an account down: status cooldown plus a fleet-wide rate-limit penalty.",
           "accounts:write",
           {{"id", integer, true, "account id"},
            {"until", timestamp, true, "end of the cooldown"},
            {"reason", string, true, "why, e.g. 429 or please wait"},
            {"escalate", boolean, false, "double the duration on repeats (capped at 24 h)"}},
           "Account", cooldown});
    r.add({"accounts.expire_cooldowns", "Return accounts whose cooldown has ended to active.", "accounts:write", {},
           "{ended: integer}", [](Engine& e, const Params&) -> Result<json::Value> {
               GK_ASSIGN_OR_RETURN(auto n, e.accounts().expire_cooldowns());
               return json::Value(json::Value::Object{{"ended", n}});
           }});
    r.add({"accounts.history", "Status changes of an account, newest first.", "accounts:read",
           {{"id", integer, true, "account id"}, {"limit", integer, false, "1-1000 (default 100)"}},
           "{items: StatusChange[]}", history});
}

}  // namespace gramkit::engine
