// Shapes of the scrape.tasks.* results for meta.operations' "types"
// (ScrapeTask, ScrapeResult); defined in scrape_ops.cpp.
#pragma once

#include "core/json.hpp"

namespace gramkit::engine {

void add_scrape_shapes(json::Value& types);

}  // namespace gramkit::engine
