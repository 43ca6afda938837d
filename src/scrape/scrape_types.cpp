// Names of the scrape enums and TaskOptions::validate (gramkit/scrape.hpp).
// The names are also what the scrape_tasks CHECK constraints accept
// (schema.cpp, migration 6): never rename them.
#include <array>
#include <string>

#include "gramkit/scrape.hpp"

namespace gramkit::scrape {
namespace {

constexpr std::array<std::string_view, 4> kKindNames{"profile", "posts", "hashtag", "media"};
constexpr std::array<std::string_view, 5> kStateNames{"active", "paused", "cancelled", "completed", "failed"};

}  // namespace

std::string_view to_string(TaskKind k) noexcept { return kKindNames[static_cast<std::size_t>(k)]; }
std::string_view to_string(TaskState s) noexcept { return kStateNames[static_cast<std::size_t>(s)]; }

Result<TaskKind> task_kind_from_string(std::string_view text) {
    for (std::size_t i = 0; i < kKindNames.size(); ++i)
        if (kKindNames[i] == text) return static_cast<TaskKind>(i);
    return fail(ErrorCode::invalid_argument,
                "'kind' must be one of profile, posts, hashtag, media (got '" + std::string(text.substr(0, 64)) + "')",
                "kind");
}

Result<TaskState> task_state_from_string(std::string_view text) {
    for (std::size_t i = 0; i < kStateNames.size(); ++i)
        if (kStateNames[i] == text) return static_cast<TaskState>(i);
    return fail(ErrorCode::invalid_argument,
                "'state' must be one of active, paused, cancelled, completed, failed (got '" +
                    std::string(text.substr(0, 64)) + "')",
                "state");
}

Status TaskOptions::validate() const {
    if (max_items && (*max_items < 1 || *max_items > kMaxItemsLimit)) {
        return fail(ErrorCode::invalid_argument,
                    "'options.max_items' must be between 1 and " + std::to_string(kMaxItemsLimit), "options.max_items");
    }
    if (page_delay.count() < 0 || page_delay.count() > kMaxPageDelayMs) {
        return fail(ErrorCode::invalid_argument,
                    "'options.page_delay_ms' must be between 0 and " + std::to_string(kMaxPageDelayMs),
                    "options.page_delay_ms");
    }
    if (raw_retention_days < 0 || raw_retention_days > 3650) {
        return fail(ErrorCode::invalid_argument, "'options.raw_retention_days' must be between 0 and 3650",
                    "options.raw_retention_days");
    }
    return {};
}

}  // namespace gramkit::scrape
