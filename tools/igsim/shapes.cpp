// igsim — Instagram-shaped JSON bodies (see shapes.hpp). Only the fields a
// client may read are filled with meaningful values; the rest of each
// shape's well-known keys are present with Instagram's typical defaults so
// strict parsers meet the real structure.
#include "shapes.hpp"

#include <cstdint>

namespace igsim {
namespace {

using gramkit::json::Writer;

const char* graph_typename(MediaKind kind) {
    switch (kind) {
        case MediaKind::video: return "GraphVideo";
        case MediaKind::carousel: return "GraphSidecar";
        default: return "GraphImage";
    }
}

const char* product_type(MediaKind kind) {
    switch (kind) {
        case MediaKind::video: return "clips";
        case MediaKind::carousel: return "carousel_container";
        default: return "feed";
    }
}

void write_dimensions(Writer& w, const MediaItem& item) {
    w.key("dimensions").begin_object().key("height").value(item.height).key("width").value(item.width).end_object();
}

// The 2022 private API (fixture 05) sends numeric ids as JSON numbers, the
// 2024 web API (04, 08) as strings; clients must cope with both.
void write_id(Writer& w, const std::string& digits, IdStyle style) {
    if (style == IdStyle::number) w.value(static_cast<std::uint64_t>(std::stoull(digits)));
    else w.value(digits);
}

void write_count(Writer& w, std::string_view key, std::int64_t count) {
    w.key(key).begin_object().key("count").value(count).end_object();
}

}  // namespace

std::string Shapes::image_url(const MediaItem& item) const { return base_ + "/media/" + item.pk + ".png"; }
std::string Shapes::video_url(const MediaItem& item) const { return base_ + "/media/" + item.pk + ".mp4"; }
std::string Shapes::profile_pic_url(const User& user) const { return base_ + "/media/u" + user.id + ".png"; }

void Shapes::write_page_info(Writer& w, const Page& page) const {
    w.key("page_info").begin_object().key("has_next_page").value(page.has_next).key("end_cursor");
    if (page.has_next) w.value(page.end_cursor);
    else w.value(nullptr);
    w.end_object();
}

// GraphQL node of a post (fixtures 01, 03, 06, 07).
void Shapes::write_graph_node(Writer& w, const Post& post, bool detailed) const {
    const User& owner = world_.owner_of(post);
    w.begin_object();
    w.key("__typename").value(graph_typename(post.kind));
    w.key("id").value(post.pk);
    w.key("shortcode").value(post.shortcode);
    write_dimensions(w, post.cover);
    w.key("display_url").value(image_url(post.cover));
    w.key("display_resources").begin_array();
    w.begin_object().key("src").value(image_url(post.cover)).key("config_width").value(post.cover.width)
        .key("config_height").value(post.cover.height).end_object();
    w.end_array();
    w.key("is_video").value(post.kind == MediaKind::video);
    w.key("accessibility_caption").value(post.cover.accessibility_caption);
    w.key("tracking_token").value("igsim-" + post.pk);
    w.key("edge_media_to_tagged_user").begin_object().key("edges").begin_array().end_array().end_object();
    w.key("edge_media_to_caption").begin_object().key("edges").begin_array();
    w.begin_object().key("node").begin_object().key("text").value(post.caption).end_object().end_object();
    w.end_array().end_object();
    if (post.kind == MediaKind::video) {
        w.key("video_url").value(video_url(post.cover));
        w.key("video_view_count").value(post.view_count);
        w.key("video_duration").value(post.cover.video_duration);
        w.key("has_audio").value(true);
    }
    write_count(w, "edge_media_to_comment", post.comment_count);
    w.key("comments_disabled").value(false);
    w.key("taken_at_timestamp").value(post.taken_at);
    write_count(w, "edge_liked_by", post.like_count);
    write_count(w, "edge_media_preview_like", post.like_count);
    w.key("owner").begin_object().key("id").value(owner.id).key("username").value(owner.username);
    if (detailed) {
        w.key("full_name").value(owner.full_name).key("profile_pic_url").value(profile_pic_url(owner))
            .key("is_private").value(owner.is_private).key("is_verified").value(owner.is_verified)
            .key("is_unpublished").value(false).key("blocked_by_viewer").value(false)
            .key("followed_by_viewer").value(false).key("has_blocked_viewer").value(false)
            .key("requested_by_viewer").value(false);
    }
    w.end_object();
    w.key("location").value(nullptr);
    w.key("thumbnail_src").value(image_url(post.cover));
    w.key("thumbnail_resources").begin_array();
    w.begin_object().key("src").value(image_url(post.cover)).key("config_width").value(post.cover.width)
        .key("config_height").value(post.cover.height).end_object();
    w.end_array();
    w.key("product_type").value(product_type(post.kind));
    if (detailed) {
        w.key("caption_is_edited").value(false);
        w.key("viewer_has_liked").value(false).key("viewer_has_saved").value(false);
        w.key("is_ad").value(false);
    }
    if (post.kind == MediaKind::carousel) {
        w.key("edge_sidecar_to_children").begin_object().key("edges").begin_array();
        for (const auto& child : post.children) write_graph_child(w, post, child);
        w.end_array().end_object();
    }
    w.end_object();
}

void Shapes::write_graph_child(Writer& w, const Post&, const MediaItem& child) const {
    w.begin_object().key("node").begin_object();
    w.key("__typename").value(child.kind == MediaKind::video ? "GraphVideo" : "GraphImage");
    w.key("id").value(child.pk);
    write_dimensions(w, child);
    w.key("display_url").value(image_url(child));
    w.key("display_resources").begin_array();
    w.begin_object().key("src").value(image_url(child)).key("config_width").value(child.width)
        .key("config_height").value(child.height).end_object();
    w.end_array();
    w.key("is_video").value(child.kind == MediaKind::video);
    if (child.kind == MediaKind::video) {
        w.key("video_url").value(video_url(child));
        w.key("video_duration").value(child.video_duration);
    }
    w.key("accessibility_caption").value(nullptr);
    w.key("edge_media_to_tagged_user").begin_object().key("edges").begin_array().end_array().end_object();
    w.end_object().end_object();
}

void Shapes::write_v1_media_versions(Writer& w, const MediaItem& item) const {
    w.key("image_versions2").begin_object().key("candidates").begin_array();
    w.begin_object().key("width").value(item.width).key("height").value(item.height).key("url").value(image_url(item))
        .end_object();
    w.end_array().end_object();
    w.key("original_width").value(item.width);
    w.key("original_height").value(item.height);
    if (item.kind == MediaKind::video) {
        w.key("video_versions").begin_array();
        w.begin_object().key("type").value(101).key("width").value(item.width).key("height").value(item.height)
            .key("url").value(video_url(item)).key("id").value(item.pk).end_object();
        w.end_array();
        w.key("video_duration").value(item.video_duration);
        w.key("has_audio").value(true);
    }
}

void Shapes::write_v1_user(Writer& w, const User& user, IdStyle ids) const {
    w.begin_object();
    w.key("pk");
    write_id(w, user.id, ids);
    w.key("pk_id").value(user.id);
    w.key("id").value(user.id);
    w.key("username").value(user.username);
    w.key("full_name").value(user.full_name);
    w.key("is_private").value(user.is_private);
    w.key("is_verified").value(user.is_verified);
    w.key("profile_pic_url").value(profile_pic_url(user));
    w.end_object();
}

// Private-API ("v1") media item (fixtures 04 nodes, 05 items, 08 medias).
void Shapes::write_v1_item(Writer& w, const Post& post, IdStyle ids) const {
    const User& owner = world_.owner_of(post);
    w.begin_object();
    w.key("taken_at").value(post.taken_at);
    w.key("pk");
    write_id(w, post.pk, ids);
    w.key("id").value(post.pk + "_" + owner.id);
    w.key("code").value(post.shortcode);
    w.key("media_type").value(static_cast<int>(post.kind));
    w.key("product_type").value(product_type(post.kind));
    w.key("caption_is_edited").value(false);
    w.key("like_and_view_counts_disabled").value(false);
    if (post.kind == MediaKind::carousel) {
        w.key("carousel_media_count").value(post.children.size());
        w.key("carousel_media").begin_array();
        for (const auto& child : post.children) {
            w.begin_object();
            w.key("id").value(child.pk + "_" + owner.id);
            w.key("pk");
            write_id(w, child.pk, ids);
            w.key("media_type").value(static_cast<int>(child.kind));
            write_v1_media_versions(w, child);
            w.key("carousel_parent_id").value(post.pk + "_" + owner.id);
            w.key("accessibility_caption").value(nullptr);
            w.end_object();
        }
        w.end_array();
    } else {
        w.key("carousel_media_count").value(nullptr);
        w.key("carousel_media").value(nullptr);
        write_v1_media_versions(w, post.cover);
    }
    w.key("user");
    write_v1_user(w, owner, ids);
    w.key("owner");
    write_v1_user(w, owner, ids);
    w.key("caption").begin_object();
    w.key("pk");
    write_id(w, post.caption_pk, ids);
    w.key("user_id");
    write_id(w, owner.id, ids);
    w.key("text").value(post.caption);
    w.key("created_at").value(post.taken_at + 1);
    w.key("has_translation").value(nullptr);
    w.end_object();
    w.key("like_count").value(post.like_count);
    w.key("comment_count").value(post.comment_count);
    if (post.kind == MediaKind::video) w.key("play_count").value(post.view_count);
    w.key("has_liked").value(false);
    w.key("top_likers").begin_array().end_array();
    w.key("usertags").value(nullptr);
    w.key("location").value(nullptr);
    w.key("accessibility_caption").value(post.cover.accessibility_caption);
    w.key("organic_tracking_token").value("igsim-" + post.pk);
    w.key("can_viewer_reshare").value(true);
    w.key("comments_disabled").value(nullptr);
    w.end_object();
}

std::string Shapes::web_profile_info(const User& user, const Page& first_page) const {
    std::string out;
    Writer w(out);
    w.begin_object().key("data").begin_object().key("user").begin_object();
    w.key("biography").value(user.biography);
    w.key("bio_links").begin_array().end_array();
    w.key("blocked_by_viewer").value(false);
    w.key("restricted_by_viewer").value(nullptr);
    w.key("country_block").value(false);
    w.key("external_url");
    if (user.external_url.empty()) w.value(nullptr);
    else w.value(user.external_url);
    w.key("external_url_linkshimmed").value(nullptr);
    write_count(w, "edge_followed_by", user.followers);
    w.key("fbid").value(user.fbid);
    w.key("followed_by_viewer").value(false);
    write_count(w, "edge_follow", user.following);
    w.key("follows_viewer").value(false);
    w.key("full_name").value(user.full_name);
    w.key("has_clips").value(false);
    w.key("has_channel").value(false);
    w.key("has_blocked_viewer").value(false);
    w.key("highlight_reel_count").value(0);
    w.key("has_requested_viewer").value(false);
    w.key("hide_like_and_view_counts").value(false);
    w.key("id").value(user.id);
    w.key("is_business_account").value(user.is_business);
    w.key("is_professional_account").value(user.is_business);
    w.key("is_joined_recently").value(false);
    w.key("business_category_name").value(nullptr);
    w.key("category_name");
    if (user.is_business) w.value(user.category);
    else w.value(nullptr);
    w.key("is_private").value(user.is_private);
    w.key("is_verified").value(user.is_verified);
    w.key("edge_mutual_followed_by").begin_object().key("count").value(0).key("edges").begin_array().end_array()
        .end_object();
    w.key("profile_pic_url").value(profile_pic_url(user));
    w.key("profile_pic_url_hd").value(profile_pic_url(user));
    w.key("requested_by_viewer").value(false);
    w.key("username").value(user.username);
    w.key("connected_fb_page").value(nullptr);
    w.key("pronouns").begin_array().end_array();
    w.key("edge_felix_video_timeline").begin_object().key("count").value(0);
    write_page_info(w, Page{});
    w.key("edges").begin_array().end_array().end_object();
    w.key("edge_owner_to_timeline_media").begin_object().key("count").value(first_page.total);
    write_page_info(w, first_page);
    w.key("edges").begin_array();
    // Private accounts show their count but no posts to strangers.
    if (!user.is_private)
        for (auto index : first_page.posts) {
            w.begin_object().key("node");
            write_graph_node(w, world_.posts()[index], false);
            w.end_object();
        }
    w.end_array().end_object();
    w.key("edge_saved_media").begin_object().key("count").value(0);
    write_page_info(w, Page{});
    w.key("edges").begin_array().end_array().end_object();
    w.key("edge_media_collections").begin_object().key("count").value(0);
    write_page_info(w, Page{});
    w.key("edges").begin_array().end_array().end_object();
    w.end_object().end_object();
    w.key("status").value("ok").end_object();
    return out;
}

std::string Shapes::timeline_graphql(const Page& page) const {
    std::string out;
    Writer w(out);
    w.begin_object().key("data").begin_object().key("user").begin_object();
    w.key("edge_owner_to_timeline_media").begin_object().key("count").value(page.total);
    write_page_info(w, page);
    w.key("edges").begin_array();
    for (auto index : page.posts) {
        w.begin_object().key("node");
        write_graph_node(w, world_.posts()[index], false);
        w.end_object();
    }
    w.end_array().end_object();
    w.end_object().end_object().key("status").value("ok").end_object();
    return out;
}

std::string Shapes::timeline_xdt(const Page& page, std::string_view viewer_id) const {
    std::string out;
    Writer w(out);
    w.begin_object().key("data").begin_object();
    w.key("xdt_api__v1__feed__user_timeline_graphql_connection").begin_object();
    w.key("edges").begin_array();
    for (auto index : page.posts) {
        w.begin_object().key("node");
        write_v1_item(w, world_.posts()[index], IdStyle::string);
        w.key("cursor").value(nullptr).end_object();
    }
    w.end_array();
    w.key("page_info").begin_object();
    w.key("end_cursor");
    if (page.has_next) w.value(page.end_cursor);
    else w.value(nullptr);
    w.key("has_next_page").value(page.has_next).key("has_previous_page").value(false).key("start_cursor")
        .value(nullptr);
    w.end_object().end_object();
    w.key("xdt_viewer").begin_object().key("user");
    if (viewer_id.empty()) w.value(nullptr);
    else w.begin_object().key("id").value(viewer_id).end_object();
    w.end_object();
    w.end_object();
    w.key("extensions").begin_object().key("is_final").value(true).end_object();
    w.end_object();
    return out;
}

std::string Shapes::media_info(const Post& post) const {
    std::string out;
    Writer w(out);
    w.begin_object().key("items").begin_array();
    write_v1_item(w, post, IdStyle::number);
    w.end_array();
    w.key("num_results").value(1).key("more_available").value(false).key("auto_load_more_enabled").value(false);
    w.key("status").value("ok").end_object();
    return out;
}

std::string Shapes::shortcode_media(const Post& post) const {
    std::string out;
    Writer w(out);
    w.begin_object().key("graphql").begin_object().key("shortcode_media");
    write_graph_node(w, post, true);
    w.end_object().end_object();
    return out;
}

std::string Shapes::hashtag_graphql(const Hashtag& tag, const Page& page, std::string_view wrapper) const {
    std::string out;
    Writer w(out);
    w.begin_object().key(wrapper).begin_object().key("hashtag").begin_object();
    w.key("id").value(tag.id);
    w.key("name").value(tag.name);
    w.key("allow_following").value(true);
    w.key("is_following").value(false);
    w.key("is_top_media_only").value(false);
    w.key("profile_pic_url").value(tag.recent.empty() ? std::string()
                                                       : image_url(world_.posts()[tag.recent.front()].cover));
    w.key("edge_hashtag_to_media").begin_object().key("count").value(tag.recent.size());
    write_page_info(w, page);
    w.key("edges").begin_array();
    for (auto index : page.posts) {
        w.begin_object().key("node");
        write_graph_node(w, world_.posts()[index], false);
        w.end_object();
    }
    w.end_array().end_object();
    w.key("edge_hashtag_to_top_posts").begin_object().key("edges").begin_array();
    for (std::size_t i = 0; i < tag.top.size() && i < 9; ++i) {
        w.begin_object().key("node");
        write_graph_node(w, world_.posts()[tag.top[i]], false);
        w.end_object();
    }
    w.end_array().end_object();
    w.key("edge_hashtag_to_content_advisory").begin_object().key("count").value(0).key("edges").begin_array()
        .end_array().end_object();
    w.key("edge_hashtag_to_null_state").begin_object().key("edges").begin_array().end_array().end_object();
    w.end_object().end_object();
    if (wrapper == "data") w.key("status").value("ok");
    w.end_object();
    return out;
}

// One of data.top / data.recent: rows of up to three medias ("media_grid").
void Shapes::write_web_info_section(Writer& w, const Page& page) const {
    w.begin_object();
    w.key("sections").begin_array();
    for (std::size_t row = 0; row < page.posts.size(); row += 3) {
        w.begin_object();
        w.key("layout_type").value("media_grid");
        w.key("feed_type").value("media");
        w.key("explore_item_info").begin_object().key("num_columns").value(3).key("total_num_columns").value(3)
            .key("aspect_ratio").value(1.0).key("autoplay").value(false).end_object();
        w.key("layout_content").begin_object().key("medias").begin_array();
        for (std::size_t i = row; i < row + 3 && i < page.posts.size(); ++i) {
            w.begin_object().key("media");
            write_v1_item(w, world_.posts()[page.posts[i]], IdStyle::string);
            w.end_object();
        }
        w.end_array().end_object();
        w.end_object();
    }
    w.end_array();
    w.key("more_available").value(page.has_next);
    w.key("next_max_id");
    if (page.has_next) w.value(page.end_cursor);
    else w.value(nullptr);
    w.key("next_page").value(page.has_next ? 1 : 0);
    w.key("next_media_ids").begin_array().end_array();
    w.end_object();
}

std::string Shapes::tags_web_info(const Hashtag& tag, const Page& top, const Page& recent) const {
    std::string out;
    Writer w(out);
    w.begin_object();
    w.key("count").value(tag.recent.size());
    w.key("data").begin_object();
    w.key("id").value(tag.id);
    w.key("name").value(tag.name);
    w.key("media_count").value(tag.recent.size());
    w.key("follow_status").value(0);
    w.key("following").value(0);
    w.key("allow_following").value(1);
    w.key("allow_muting_story").value(true);
    w.key("profile_pic_url").value(tag.recent.empty() ? std::string()
                                                       : image_url(world_.posts()[tag.recent.front()].cover));
    w.key("non_violating").value(1);
    w.key("related_tags").value(nullptr);
    w.key("subtitle").value("See a few top posts each week");
    w.key("formatted_media_count").value(std::to_string(tag.recent.size()));
    w.key("is_trending").value(false);
    w.key("top");
    write_web_info_section(w, top);
    w.key("recent");
    write_web_info_section(w, recent);
    w.key("content_advisory").value(nullptr);
    w.key("warning_message").value(nullptr);
    w.end_object();
    w.key("status").value("ok");
    w.end_object();
    return out;
}

}  // namespace igsim
