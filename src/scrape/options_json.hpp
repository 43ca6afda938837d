// JSON form of scrape::TaskOptions, shared by the store (the `options`
// column) and the scrape.tasks.* operations:
//   {"max_items": int|null, "since": "<RFC 3339>"|null, "page_delay_ms": int,
//    "raw_retention_days": int}
#pragma once

#include <string>
#include <string_view>

#include "core/json.hpp"
#include "gramkit/scrape.hpp"

namespace gramkit::scrape {

/// Reads an options object; every key is optional, unknown keys and wrong
/// types are `invalid_argument` naming "<path>.<key>". Values are range-checked
/// (TaskOptions::validate).
Result<TaskOptions> options_from_json(const json::Value& object, std::string_view path = "options");
json::Value options_to_json(const TaskOptions& options);

}  // namespace gramkit::scrape
