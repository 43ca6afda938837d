// ratelimit.* operations → the Limiter (src/ratelimit/policy.hpp).
#include "engine/operation_registry.hpp"
#include "engine/ops/models.hpp"
#include "gramkit/engine.hpp"
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

json::Value rule_json(const ratelimit::Rule& r) {
    json::Value match = json::Value::array();
    for (const auto& m : r.match) match.push_back(m);
    json::Value o = json::Value::object();
    o.set("name", r.name);
    o.set("rate", r.limit.rate);
    o.set("period_ms", r.limit.period.count() / 1000);
    o.set("burst", r.limit.burst);
    o.set("match", std::move(match));
    return o;
}

Result<ratelimit::Rule> rule_from(const json::Value& v, std::size_t index) {
    const std::string path = "rules[" + std::to_string(index) + "]";
    if (!v.is_object()) return fail(ErrorCode::invalid_argument, "'" + path + "' must be an object", path);
    json::ObjectReader r(v, path);
    ratelimit::Rule rule;
    GK_ASSIGN_OR_RETURN(rule.name, r.required_string("name"));
    GK_ASSIGN_OR_RETURN(auto rate, r.required_int("rate", 1, 1'000'000'000));
    GK_ASSIGN_OR_RETURN(auto period_ms, r.required_int("period_ms", 1, 10LL * 365 * 24 * 3600 * 1000));
    GK_ASSIGN_OR_RETURN(auto burst, r.required_int("burst", 1, 1'000'000'000));
    GK_ASSIGN_OR_RETURN(const json::Value* match, r.required_array("match"));
    GK_TRY(r.reject_unknown_keys());
    rule.limit = {static_cast<std::uint64_t>(rate), std::chrono::milliseconds(period_ms),
                  static_cast<std::uint64_t>(burst)};
    for (const auto& m : match->as_array()) {
        if (!m.is_string())
            return fail(ErrorCode::invalid_argument, "'" + path + ".match' must be an array of strings", path + ".match");
        rule.match.push_back(m.as_string());
    }
    return rule;
}

Result<json::Value> check(Engine& e, const Params& p) {
    GK_ASSIGN_OR_RETURN(auto cost, cost_of(p));
    GK_ASSIGN_OR_RETURN(auto v, e.ratelimit_check(request_of(p), cost));
    return verdict_json(v);
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
    return json::Value(json::Value::Object{{"items", std::move(items)}});
}

Result<json::Value> policies_get(Engine& e, const Params&) {
    json::Value rules = json::Value::array();
    for (const auto& r : e.limiter().rules()) rules.push_back(rule_json(r));
    return json::Value(json::Value::Object{{"rules", std::move(rules)}});
}

Result<json::Value> policies_set(Engine& e, const Params& p) {
    std::vector<ratelimit::Rule> rules;
    std::size_t i = 0;
    for (const auto& v : p.raw("rules")->as_array()) {
        GK_ASSIGN_OR_RETURN(auto rule, rule_from(v, i++));
        rules.push_back(std::move(rule));
    }
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
           "ratelimit:read", {parts}, "{items: [{rule, key, allowed, remaining, reset_at, retry_after_ms, penalized_until}]}",
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
    r.add({"ratelimit.penalize", "Block every request naming a part until a time (optionally escalating).",
           "ratelimit:admin",
           {{"part", string, true, "e.g. account:42 or proxy:7"},
            {"until", timestamp, true, "end of the penalty"},
            {"escalate", boolean, false, "double on repeats within the escalation window"}},
           "{until}", penalize});
}

}  // namespace gramkit::engine
