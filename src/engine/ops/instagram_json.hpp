// JSON forms of the Instagram models (gramkit/instagram_models.hpp), shared
// by every face. Instagram ids stay strings (they exceed 2^53).
#pragma once

#include "core/json.hpp"
#include "gramkit/instagram_models.hpp"

namespace gramkit::engine {

json::Value to_json(const instagram::MediaUrl& m);
json::Value to_json(const instagram::Post& p);
json::Value to_json(const instagram::PostsPage& page);
json::Value to_json(const instagram::Profile& p);
json::Value to_json(const instagram::HashtagPage& h);
/// A login answer without anything secret (no cookies, no codes).
json::Value to_json(const instagram::LoginResult& r);

/// Adds the shapes above to meta.operations' "types".
void add_instagram_shapes(json::Value& types);

}  // namespace gramkit::engine
