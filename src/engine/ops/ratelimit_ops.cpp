// ratelimit.* operations → the Limiter (src/ratelimit/policy.hpp).
#include <charconv>

#include "engine/operation_registry.hpp"
#include "engine/ops/models.hpp"
#include "gramkit/engine.hpp"
#include "engine/ratelimit_rules_json.hpp"
#include "ratelimit/policy.hpp"

namespace gramkit::engine {
namespace {

using enum ParamType;

json::Value micros_as_ms(Duration d) { return static_cast<double>(d.count()) / 1000.0; }

ratelimit::Request request_of(const Params& p) {
    return ratelimit::Request{p.opt_strings("parts").value_or(std::vector<std::string>{})};
}

Result<std::uint32_t> cost_of(const Params& p) {
    auto c = p.opt_integer("cost").value_or(1);
    if (c < 0 || c > 1'000'000) return fail(ErrorCode::invalid_argument, "'cost' must be between 0 and 1000000", "cost");
    return static_cast<std::uint32_t>(c);
}

json::Value verdict_json(const ratelimit::Verdict& v) {
    json::Value o = json::Value::object();
    o.set("allowed", v.allowed);
    o.set("rule", v.rule);
    o.set("key", v.key);
    o.set("retry_after_ms", micros_as_ms(v.retry_after));
    o.set("remaining", v.remaining);
    o.set("penalized_until", to_json(v.penalized_until));
    o.set("partially_consumed", v.partially_consumed);
    return o;
}

Result<json::Value> check(Engine& e, const Params& p) {
    GK_ASSIGN_OR_RETURN(auto cost, cost_of(p));
    GK_ASSIGN_OR_RETURN(auto v, e.ratelimit_check(request_of(p), cost));
    return verdict_json(v);
}

// The account named by the request's first "account:<id>" part, if that is
// the id of an existing account. Parts are free-form limiter keys (a host
// may key on "account:alice"), so anything else just has no account.
Result<std::optional<Account>> account_of(Engine& e, const ratelimit::Request& request) {
    for (const auto& part : request.parts) {
        if (!part.starts_with("account:")) continue;
        const std::string_view digits = std::string_view(part).substr(8);
        std::int64_t id = 0;
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
        if (ec != std::errc{} || end != digits.data() + digits.size() || digits.empty()) return std::nullopt;
        auto account = e.accounts().get(id);
        if (!account && account.error().code == ErrorCode::not_found) return std::nullopt;
        if (!account) return fail(std::move(account).error());
        return std::optional<Account>(std::move(*account));
    }
    return std::optional<Account>{};
}

Result<json::Value> status(Engine& e, const Params& p) {
    GK_ASSIGN_OR_RETURN(auto rules, e.limiter().status(request_of(p)));
    json::Value items = json::Value::array();
    for (const auto& s : rules) {
        json::Value o = json::Value::object();
        o.set("rule", s.rule);
        o.set("key", s.key);
        o.set("allowed", s.decision.allowed);
        o.set("remaining", s.decision.remaining);
        o.set("reset_at", to_json(s.decision.reset_at));
        o.set("retry_after_ms", micros_as_ms(s.decision.retry_after));
        o.set("penalized_until", to_json(s.decision.penalized_until));
        items.push_back(std::move(o));
    }
    json::Value result(json::Value::Object{{"items", std::move(items)}});
    // The account's own cooldown, for a request naming one: the limiter
    // knows only keys, the accounts service knows the status behind them.
    GK_ASSIGN_OR_RETURN(auto account, account_of(e, request_of(p)));
    if (account) {
        json::Value a = json::Value::object();
        a.set("id", account->id);
        a.set("status", std::string(to_string(account->status)));
        a.set("cooldown_until", to_json(account->cooldown_until));
        result.set("account", std::move(a));
    }
    return result;
}

Result<json::Value> policies_get(Engine& e, const Params&) {
    json::Value rules = json::Value::array();
    for (const auto& r : e.limiter().rules()) rules.push_back(rule_to_json(r));
    return json::Value(json::Value::Object{{"rules", std::move(rules)}});
}

Result<json::Value> policies_set(Engine& e, const Params& p) {
    GK_ASSIGN_OR_RETURN(auto rules, rules_from_json(*p.raw("rules"), "rules"));
    GK_TRY(e.limiter().set_rules(std::move(rules)));
    return policies_get(e, p);
}

Result<json::Value> penalize(Engine& e, const Params& p) {
    auto until = p.opt_timestamp("until");
    GK_ASSIGN_OR_RETURN(auto effective, e.limiter().penalize(p.string("part"), *until, p.opt_bool("escalate").value_or(false)));
    return json::Value(json::Value::Object{{"until", to_json(effective)}});
}

}  // namespace

void register_ratelimit_operations(OperationRegistry& r) {
    const ParamSpec parts{"parts", string_array, true,
                          "request parts, e.g. [\"account:42\", \"action:hashtag\", \"endpoint:graphql\"]"};
    r.add({"ratelimit.check", "Pass every applicable limit and penalty, consuming cost only when allowed.",
           "ratelimit:use", {parts, {"cost", integer, false, "cost units (default 1)"}},
           "{allowed, rule, key, retry_after_ms, remaining, penalized_until, partially_consumed}", check});
    r.add({"ratelimit.status", "Each applicable rule's remaining, reset and retry-after, without consuming.",
           "ratelimit:read", {parts}, "{items: [{rule, key, allowed, remaining, reset_at, retry_after_ms, penalized_until}], account?: {id, status, cooldown_until}}",
           status});
    r.add({"ratelimit.policies.get", "The rules in force.", "ratelimit:read", {},
           "{rules: [{name, rate, period_ms, burst, match}]}", policies_get});
    r.add({"ratelimit.policies.set", "Replace the rules (validated as a whole).", "ratelimit:admin",
           {{"rules", array, true, "[{name, rate, period_ms, burst, match: string[]}]"}},
           "{rules: [...]}", policies_set});
    r.add({"ratelimit.reset", "Forget the state and penalties of a request's keys.", "ratelimit:admin", {parts}, "Ok",
           [](Engine& e, const Params& p) -> Result<json::Value> {
               GK_TRY(e.limiter().reset(request_of(p)));
               return json::Value(json::Value::Object{{"ok", true}});
           }});
    r.add({"ratelimit.save", "Save the in-process limiter's state to storage now (also done on close).",
           "ratelimit:admin", {}, "{saved}", [](Engine& e, const Params&) -> Result<json::Value> {
               GK_ASSIGN_OR_RETURN(auto n, e.save_ratelimit_state());
               return json::Value(json::Value::Object{{"saved", static_cast<std::int64_t>(n)}});
           }});
    r.add({"ratelimit.penalize", "Block every request naming a part until a time (optionally escalating).",
           "ratelimit:admin",
           {{"part", string, true, "e.g. account:42 or proxy:7"},
            {"until", timestamp, true, "end of the penalty"},
            {"escalate", boolean, false, "double on repeats within the escalation window"}},
           "{until}", penalize});
}

}  // namespace gramkit::engine
