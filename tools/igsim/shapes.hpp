// igsim — JSON bodies in Instagram's shapes (../shared/fixtures/instagram).
//
// Each render_* function writes one endpoint's body for already chosen
// data (the page of posts, the cursor); choosing them is the router's job.
// Field names, nesting and value types follow the captured fixtures; the
// numbers in the comments name the fixture each shape copies.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"
#include "world.hpp"

namespace igsim {

/// One page of posts out of an ordered list, as the router cut it.
struct Page {
    std::vector<std::size_t> posts;  // indexes into World::posts()
    std::size_t total = 0;           // length of the whole list
    bool has_next = false;
    std::string end_cursor;  // empty when !has_next
};

/// How numeric ids are written: "123" (2024 web API) or 123 (2022 private API).
enum class IdStyle { string, number };

/// Renders bodies with media URLs under `base_url` ("https://127.0.0.1:1234").
class Shapes {
public:
    Shapes(const World& world, std::string base_url) : world_(world), base_(std::move(base_url)) {}

    std::string image_url(const MediaItem& item) const;
    std::string video_url(const MediaItem& item) const;
    std::string profile_pic_url(const User& user) const;

    /// 01/02: GET /api/v1/users/web_profile_info/ → {"data":{"user":{...}},"status":"ok"}.
    std::string web_profile_info(const User& user, const Page& first_page) const;
    /// 03: GET /graphql/query/?query_hash → data.user.edge_owner_to_timeline_media.
    std::string timeline_graphql(const Page& page) const;
    /// 04: /graphql/query doc_id → data.xdt_api__v1__feed__user_timeline_graphql_connection.
    std::string timeline_xdt(const Page& page, std::string_view viewer_id) const;
    /// 05: GET /api/v1/media/<id>/info/ → {"items":[v1 item],...}.
    std::string media_info(const Post& post) const;
    /// 06: GET /p/<shortcode>/?__a=1&__d=dis → {"graphql":{"shortcode_media":...}}.
    std::string shortcode_media(const Post& post) const;
    /// 07: hashtag GraphQL object; `wrapper` is "data" (graphql/query, with
    /// "status") or "graphql" (/explore/tags/<tag>/?__a=1).
    std::string hashtag_graphql(const Hashtag& tag, const Page& page, std::string_view wrapper) const;
    /// 08: GET /api/v1/tags/web_info/ → data.top / data.recent sections.
    std::string tags_web_info(const Hashtag& tag, const Page& top, const Page& recent) const;

private:
    using Writer = gramkit::json::Writer;
    void write_graph_node(Writer& w, const Post& post, bool detailed) const;
    void write_graph_child(Writer& w, const Post& parent, const MediaItem& child) const;
    void write_v1_item(Writer& w, const Post& post, IdStyle ids) const;
    void write_v1_media_versions(Writer& w, const MediaItem& item) const;
    void write_v1_user(Writer& w, const User& user, IdStyle ids) const;
    void write_page_info(Writer& w, const Page& page) const;
    void write_web_info_section(Writer& w, const Page& page) const;

    const World& world_;
    std::string base_;
};

/// Fixed error and status bodies, byte for byte as Instagram sends them.
namespace bodies {
inline constexpr std::string_view kPleaseWait =  // 15
    R"({"message":"Please wait a few minutes before you try again.","status":"fail"})";
inline constexpr std::string_view kRateLimited =  // 17
    R"({"message": "Please wait a few minutes before you try again.", "status": "fail"})";
inline constexpr std::string_view kLoginRequired =  // 20 message + 16 require_login
    R"({"message":"login_required","require_login":true,"status":"fail"})";
inline constexpr std::string_view kBadPassword =  // 10
    R"({"authenticated": false, "user": true, "status": "ok"})";
inline constexpr std::string_view kUnknownLoginUser =
    R"({"authenticated": false, "user": false, "status": "ok"})";
inline constexpr std::string_view kFeedbackRequired =  // 18
    R"({"message": "feedback_required", "spam": true, "feedback_title": "Signup Error", "feedback_message": "Sorry! There\u2019s a problem signing you up right now. Please try again later. We restrict certain content and actions to protect our community. Tell us if you think we made a mistake.", "feedback_url": "repute/report_problem/instagram_signup/", "feedback_appeal_label": "Report problem", "feedback_ignore_label": "OK", "feedback_action": "report_problem", "status": "fail", "error_type": "signup_block"})";
inline constexpr std::string_view kCsrfFailed =
    R"({"message":"CSRF token missing or incorrect","status":"fail"})";
inline constexpr std::string_view kUserAgentMismatch =  // what Instagram answers without X-IG-App-ID
    R"({"message":"useragent mismatch","status":"fail"})";
inline constexpr std::string_view kUserNotFound = R"({"message":"User not found","status":"fail"})";
inline constexpr std::string_view kMediaNotFound = R"({"message":"Media not found or unavailable","status":"fail"})";
inline constexpr std::string_view kPageNotFound = R"({"message":"Page not found","status":"fail"})";
inline constexpr std::string_view kBadTwoFactorCode =
    R"({"message":"Please check the security code and try again.","status":"fail","error_type":"sms_code_validation_code_invalid"})";
}  // namespace bodies

}  // namespace igsim
