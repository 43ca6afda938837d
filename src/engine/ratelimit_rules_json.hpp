// Rate-limit rules as JSON, shared by the engine configuration
// (`ratelimit_rules`) and the ratelimit.policies.* operations, so both
// accept and print exactly one form: {name, rate, period_ms, burst, match}.
#pragma once

#include <string_view>
#include <vector>

#include "core/json.hpp"
#include "gramkit/ratelimit.hpp"

namespace gramkit::engine {

/// Reads an array of rules; `path` names the array in messages
/// ("ratelimit_rules" → "'ratelimit_rules[2].rate' must be ..."). Checks
/// shapes and ranges only; the Limiter validates the set as a whole.
Result<std::vector<ratelimit::Rule>> rules_from_json(const json::Value& array, std::string_view path);

json::Value rule_to_json(const ratelimit::Rule& rule);

}  // namespace gramkit::engine
