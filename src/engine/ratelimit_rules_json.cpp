// Rate-limit rules ⇄ JSON (see ratelimit_rules_json.hpp).
#include "engine/ratelimit_rules_json.hpp"

#include <string>

namespace gramkit::engine {
namespace {

Result<ratelimit::Rule> rule_from(const json::Value& v, const std::string& path) {
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

}  // namespace

Result<std::vector<ratelimit::Rule>> rules_from_json(const json::Value& array, std::string_view path) {
    if (!array.is_array())
        return fail(ErrorCode::invalid_argument, "'" + std::string(path) + "' must be an array", std::string(path));
    std::vector<ratelimit::Rule> rules;
    std::size_t i = 0;
    for (const auto& v : array.as_array()) {
        GK_ASSIGN_OR_RETURN(auto rule, rule_from(v, std::string(path) + "[" + std::to_string(i++) + "]"));
        rules.push_back(std::move(rule));
    }
    return rules;
}

json::Value rule_to_json(const ratelimit::Rule& r) {
    json::Value match = json::Value::array();
    for (const auto& m : r.match) match.push_back(m);
    json::Value o = json::Value::object();
    o.set("name", r.name);
    o.set("rate", r.limit.rate);
    const std::int64_t period_ms = std::chrono::duration_cast<std::chrono::milliseconds>(r.limit.period).count();
    o.set("period_ms", period_ms);
    o.set("burst", r.limit.burst);
    o.set("match", std::move(match));
    return o;
}

}  // namespace gramkit::engine
