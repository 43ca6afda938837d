// Instagram models → JSON (see instagram_json.hpp).
#include "engine/ops/instagram_json.hpp"

#include "engine/ops/models.hpp"

namespace gramkit::engine {
namespace {

json::Value strings(const std::vector<std::string>& v) {
    json::Value a = json::Value::array();
    for (const auto& s : v) a.push_back(s);
    return a;
}

json::Value posts(const std::vector<instagram::Post>& v) {
    json::Value a = json::Value::array();
    for (const auto& p : v) a.push_back(to_json(p));
    return a;
}


}  // namespace

json::Value to_json(const instagram::MediaUrl& m) {
    json::Value o = json::Value::object();
    o.set("url", m.url);
    o.set("width", static_cast<std::int64_t>(m.width));
    o.set("height", static_cast<std::int64_t>(m.height));
    o.set("kind", std::string(to_string(m.kind)));
    return o;
}

json::Value to_json(const instagram::Post& p) {
    json::Value media = json::Value::array();
    for (const auto& m : p.media) media.push_back(to_json(m));
    json::Value o = json::Value::object();
    o.set("id", p.id);
    o.set("shortcode", p.shortcode);
    o.set("owner_id", p.owner_id);
    o.set("owner_username", or_null(p.owner_username));
    o.set("taken_at", to_json(p.taken_at));
    o.set("caption", p.caption);
    o.set("hashtags", strings(p.hashtags));
    o.set("mentions", strings(p.mentions));
    o.set("like_count", p.like_count);
    o.set("comment_count", p.comment_count);
    o.set("media_type", std::string(to_string(p.media_type)));
    o.set("media", std::move(media));
    return o;
}

json::Value to_json(const instagram::PostsPage& page) {
    json::Value o = json::Value::object();
    o.set("items", posts(page.items));
    o.set("next_cursor", or_null(page.next_cursor));
    o.set("has_next", page.has_next);
    return o;
}

json::Value to_json(const instagram::Profile& p) {
    json::Value o = json::Value::object();
    o.set("id", p.id);
    o.set("username", p.username);
    o.set("full_name", p.full_name);
    o.set("biography", p.biography);
    o.set("followers", p.followers);
    o.set("following", p.following);
    o.set("post_count", p.post_count);
    o.set("is_private", p.is_private);
    o.set("is_verified", p.is_verified);
    o.set("profile_pic_url", p.profile_pic_url);
    o.set("external_url", or_null(p.external_url));
    o.set("recent_posts", to_json(p.recent_posts));
    return o;
}

json::Value to_json(const instagram::HashtagPage& h) {
    json::Value o = json::Value::object();
    o.set("name", h.name);
    o.set("media_count", or_null(h.media_count));
    o.set("top_posts", posts(h.top_posts));
    o.set("recent_posts", posts(h.recent_posts));
    o.set("next_cursor", or_null(h.next_cursor));
    o.set("has_next", h.has_next);
    return o;
}

json::Value to_json(const instagram::LoginResult& r) {
    json::Value methods = json::Value::array();
    for (auto m : r.two_factor_methods) methods.push_back(std::string(to_string(m)));
    json::Value o = json::Value::object();
    o.set("status", std::string(to_string(r.kind)));
    o.set("message", r.message);
    o.set("user_id", or_null(r.user_id));
    o.set("two_factor_identifier", or_null(r.two_factor_identifier));
    o.set("two_factor_methods", std::move(methods));
    o.set("checkpoint_url", or_null(r.checkpoint_url));
    return o;
}

void add_instagram_shapes(json::Value& types) {
    types.set("MediaUrl", shape({{"url", "string"}, {"width", "integer"}, {"height", "integer"}, {"kind", "image|video"}}));
    types.set("Post", shape({{"id", "string"}, {"shortcode", "string"}, {"owner_id", "string"},
                              {"owner_username", "string|null"}, {"taken_at", "timestamp"}, {"caption", "string"},
                              {"hashtags", "string[]"}, {"mentions", "string[]"}, {"like_count", "integer"},
                              {"comment_count", "integer"}, {"media_type", "image|video|carousel"},
                              {"media", "MediaUrl[]"}}));
    types.set("PostsPage", shape({{"items", "Post[]"}, {"next_cursor", "string|null (pass as 'cursor')"},
                                   {"has_next", "boolean"}}));
    types.set("Profile", shape({{"id", "string"}, {"username", "string"}, {"full_name", "string"},
                                 {"biography", "string"}, {"followers", "integer"}, {"following", "integer"},
                                 {"post_count", "integer"}, {"is_private", "boolean"}, {"is_verified", "boolean"},
                                 {"profile_pic_url", "string"}, {"external_url", "string|null"},
                                 {"recent_posts", "PostsPage"}}));
    types.set("HashtagPage", shape({{"name", "string"}, {"media_count", "integer|null"}, {"top_posts", "Post[]"},
                                     {"recent_posts", "Post[]"}, {"next_cursor", "string|null"},
                                     {"has_next", "boolean"}}));
    types.set("LoginResult", shape({{"status", "ok|two_factor_required"}, {"message", "string"},
                                     {"user_id", "string|null"}, {"two_factor_identifier", "string|null"},
                                     {"two_factor_methods", "string[]"}, {"checkpoint_url", "string|null"}}));
}

}  // namespace gramkit::engine
