// gramkit — Instagram response parsers (private API of src/instagram).
//
// Each function reads one response body with simdjson on-demand in a single
// forward pass and fills the typed models of gramkit/instagram_models.hpp.
// Shapes and field mapping: docs/instagram.md, "Response formats".
//
// Common contract:
//  - unknown fields are ignored, missing optional fields keep their
//    defaults, explicit nulls count as absent;
//  - a body that is not JSON, a wrong type at a field we read, or a missing
//    required root/field is `upstream_error` with a message saying what was
//    expected where and `details` = the JSON path ("data.user.id");
//  - an error body in place of the expected document (`"status":"fail"`,
//    e.g. "Please wait a few minutes") returns the classified error instead
//    (rate_limited, unauthenticated, ...; see to_error_code);
//  - `data.user: null` / `shortcode_media: null` (no such user or post) is
//    `not_found`;
//  - never throws; values skipped by the on-demand pass are checked for
//    structure and UTF-8 but not for number syntax.
//
// Thread-safety: every function may be called from any thread (each thread
// keeps its own simdjson parser).
#pragma once

#include <string_view>

#include "gramkit/error.hpp"
#include "gramkit/instagram_models.hpp"

namespace gramkit::instagram {

/// `api/v1/users/web_profile_info/?username=` (and the older `?__a=1`
/// `graphql.user`, and `api/v1/users/<id>/info/` `user`): the profile with
/// its first page of posts.
Result<Profile> parse_web_profile_info(std::string_view body);

/// A page of a user's posts: GraphQL `data.user.edge_owner_to_timeline_media`,
/// the 2024 `data.xdt_api__v1__feed__user_timeline_graphql_connection`, or
/// the private API feed (`items`, `next_max_id`, `more_available`).
Result<PostsPage> parse_user_timeline(std::string_view body);

/// `api/v1/media/<id>/info/` (and `/p/<code>/?__a=1&__d=dis`): the first of
/// `items`.
Result<Post> parse_media_info(std::string_view body);

/// A post by shortcode: `graphql.shortcode_media`, `data.shortcode_media` or
/// `data.xdt_shortcode_media` (sidecar children included).
Result<Post> parse_shortcode_media(std::string_view body);

/// A hashtag: GraphQL (`graphql.hashtag` / `data.hashtag` with
/// edge_hashtag_to_media and edge_hashtag_to_top_posts) or
/// `api/v1/tags/web_info` (`data.top` / `data.recent` sections).
Result<HashtagPage> parse_hashtag(std::string_view body);

/// Classifies a login answer or any error body. Never fails: a body that is
/// not JSON is classified from the HTTP status alone (429 → rate_limited,
/// otherwise generic with a message saying the body was unusable).
LoginResult classify_response(int http_status, std::string_view body);

}  // namespace gramkit::instagram
