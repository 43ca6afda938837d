#include "scrape/options_json.hpp"

#include "gramkit/time_format.hpp"

namespace gramkit::scrape {

Result<TaskOptions> options_from_json(const json::Value& object, std::string_view path) {
    json::ObjectReader r(object, std::string(path));
    TaskOptions o;
    GK_ASSIGN_OR_RETURN(o.max_items, r.optional_int("max_items", 1, kMaxItemsLimit));
    GK_ASSIGN_OR_RETURN(auto since, r.optional_string("since"));
    if (since) {
        auto t = parse_timestamp_utc(*since);
        if (!t) {
            return fail(ErrorCode::invalid_argument, "'" + r.path("since") + "' must be an RFC 3339 time: " + t.error().message,
                        r.path("since"));
        }
        o.since = *t;
    }
    GK_ASSIGN_OR_RETURN(auto delay, r.optional_int("page_delay_ms", 0, kMaxPageDelayMs));
    o.page_delay = std::chrono::milliseconds(delay.value_or(0));
    GK_ASSIGN_OR_RETURN(auto retention, r.optional_int("raw_retention_days", 0, 3650));
    o.raw_retention_days = static_cast<int>(retention.value_or(7));
    GK_TRY(r.reject_unknown_keys());
    GK_TRY(o.validate());
    return o;
}

json::Value options_to_json(const TaskOptions& options) {
    json::Value o = json::Value::object();
    o.set("max_items", options.max_items ? json::Value(*options.max_items) : json::Value());
    o.set("since", options.since ? json::Value(format_timestamp_utc(*options.since)) : json::Value());
    o.set("page_delay_ms", static_cast<std::int64_t>(options.page_delay.count()));
    o.set("raw_retention_days", options.raw_retention_days);
    return o;
}

}  // namespace gramkit::scrape
