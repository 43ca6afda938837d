// gramkit — reading one post ("media node") in any of Instagram's shapes
// (private to src/instagram; shared by the timeline, profile, media,
// shortcode and hashtag parsers).
//
// Two vocabularies describe a post and both are accepted in the same node:
//  - GraphQL (2016–2022 web): id, shortcode, __typename (GraphImage/
//    GraphVideo/GraphSidecar), taken_at_timestamp, edge_media_to_caption,
//    edge_media_preview_like / edge_liked_by, edge_media_to_comment,
//    owner, dimensions, display_url, display_resources, is_video,
//    video_url, edge_sidecar_to_children;
//  - private API v1 items (also the 2024 xdt_* GraphQL nodes): pk, id
//    ("<pk>_<owner>"), code, media_type (1/2/8), taken_at, caption.text,
//    like_count, comment_count, user/owner, image_versions2.candidates,
//    video_versions, original_width/height, carousel_media.
#pragma once

#include <cstdint>
#include <vector>

#include "instagram/json_walk.hpp"

namespace gramkit::instagram::detail {

/// One post. `id` and `shortcode` are required; everything else optional.
Status read_post(walk::od::value& value, const walk::JsonPath& at, Post& out);

/// A GraphQL connection {count, page_info{has_next_page, end_cursor},
/// edges[{node: post}]}; `count` (when stated) goes to *total if given.
Status read_post_connection(walk::od::value& value, const walk::JsonPath& at, PostsPage& page,
                            std::int64_t* total = nullptr);

/// An array of posts (v1 `items`).
Status read_post_array(walk::od::value& value, const walk::JsonPath& at, std::vector<Post>& out);

/// {has_next_page, end_cursor}; "" and null cursors count as absent.
Status read_page_info(walk::od::value& value, const walk::JsonPath& at, std::optional<std::string>& cursor,
                      bool& has_next);

}  // namespace gramkit::instagram::detail
