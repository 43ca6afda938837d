// One call that records something that happened: a structured log line and
// an event on the bus, from the same fields (so the two never drift).
// Never pass secrets as fields.
#pragma once

#include <initializer_list>
#include <string_view>
#include <utility>
#include <vector>

#include "accounts/services.hpp"
#include "core/json.hpp"

namespace gramkit::accounts {

using NotifyField = std::pair<std::string_view, json::Value>;

inline void notify(const ServiceContext& ctx, LogLevel level, std::string_view component, std::string_view type,
                   std::initializer_list<NotifyField> fields) {
    if (ctx.log.enabled(level)) {
        std::vector<LogField> log_fields;
        log_fields.reserve(fields.size());
        for (const auto& [k, v] : fields)
            log_fields.push_back({std::string(k), v.is_string() ? v.as_string() : json::to_string(v)});
        ctx.log.log(level, component, type, log_fields);
    }
    if (ctx.events) {
        std::string data;
        json::Writer w(data);
        w.begin_object();
        for (const auto& [k, v] : fields) {
            w.key(k);
            w.value(v);
        }
        w.end_object();
        ctx.events->publish(std::string(type), std::move(data));
    }
}

inline void notify(const ServiceContext& ctx, std::string_view component, std::string_view type,
                   std::initializer_list<NotifyField> fields) {
    notify(ctx, LogLevel::info, component, type, fields);
}

}  // namespace gramkit::accounts
