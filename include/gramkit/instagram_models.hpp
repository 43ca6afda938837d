// gramkit — typed models of what Instagram answers (issue 5, parsing part).
//
// The Instagram service parses response bodies (web profile info, timeline
// pagination, media info, shortcode media, hashtag pages, login and error
// bodies) into these plain values. docs/instagram.md ("Response formats")
// lists which response shapes fill which fields.
//
// Standard library only (DESIGN.md §1): no simdjson here, hosts include this
// header without any third-party package.
//
// Thread-safety: plain values; copies may be used from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gramkit/clock.hpp"
#include "gramkit/error.hpp"
#include "gramkit/export.hpp"

namespace gramkit::instagram {

enum class MediaKind { image, video };

/// One downloadable file of a post: the best (largest) rendition Instagram
/// offered. Width/height are 0 when the response did not state them.
struct MediaUrl {
    std::string url;
    int width = 0;
    int height = 0;
    MediaKind kind = MediaKind::image;

    friend bool operator==(const MediaUrl&, const MediaUrl&) = default;
};

enum class MediaType { image, video, carousel };

/// A post. Ids are kept as decimal text: Instagram ids exceed 2^53, so
/// they must never pass through a double (JavaScript hosts included).
struct Post {
    std::string id;                              // media pk, e.g. "2837357660084836649"
    std::string shortcode;                       // the code in /p/<shortcode>/
    std::string owner_id;                        // empty when the response omits the owner
    std::optional<std::string> owner_username;
    Timestamp taken_at{};                        // epoch when the response omits it
    std::string caption;                         // empty when there is none
    std::vector<std::string> hashtags;           // from the caption, without '#', first spelling, in order
    std::vector<std::string> mentions;           // from the caption, without '@', in order
    std::int64_t like_count = 0;                 // 0 when hidden or absent
    std::int64_t comment_count = 0;
    MediaType media_type = MediaType::image;
    /// One entry per media item: the post itself, or every carousel child in
    /// order. Each entry is the item's best video when it is a video,
    /// otherwise its best image.
    std::vector<MediaUrl> media;
    bool is_video = false;                       // media_type == video
};

/// One page of a cursor-paginated list.
template <class T>
struct Page {
    std::vector<T> items;
    std::optional<std::string> next_cursor;  // absent on the last page (or when Instagram sent "")
    bool has_next = false;
};
using PostsPage = Page<Post>;

struct Profile {
    std::string id;  // user pk as decimal text
    std::string username;
    std::string full_name;
    std::string biography;
    std::int64_t followers = 0;
    std::int64_t following = 0;
    std::int64_t post_count = 0;
    bool is_private = false;
    bool is_verified = false;
    std::string profile_pic_url;  // the HD picture when offered
    std::optional<std::string> external_url;
    /// First page of the user's posts when the response embeds it
    /// (web_profile_info does; it is empty for private profiles).
    PostsPage recent_posts;
};

/// A hashtag page: GraphQL `hashtag` or `api/v1/tags/web_info`.
struct HashtagPage {
    std::string name;
    std::optional<std::int64_t> media_count;
    std::vector<Post> top_posts;
    std::vector<Post> recent_posts;
    /// Cursor of the recent list (GraphQL end_cursor, web_info
    /// recent.next_max_id), else of the top list (web_info top.next_max_id).
    std::optional<std::string> next_cursor;
    bool has_next = false;
};

/// What a login attempt or an error body says. `ok` is a successful login
/// (or an answer that carries no error).
enum class ApiErrorKind {
    ok,
    bad_password,
    invalid_user,
    two_factor_required,
    checkpoint_required,
    challenge_required,
    please_wait,          // "Please wait a few minutes before you try again." (soft block)
    rate_limited,         // HTTP 429
    feedback_required,    // action or spam block
    login_required,       // the session is no longer valid
    generic,              // any other failure, and bodies that are not usable JSON
};

enum class TwoFactorMethod { sms, totp, whatsapp };

/// The classification of a login or error body with the details the
/// caller needs for its next step.
struct LoginResult {
    ApiErrorKind kind = ApiErrorKind::generic;
    int http_status = 0;
    std::string message;       // Instagram's message (or ours when the body was unusable)
    std::string error_type;    // Instagram's `error_type` when present
    std::optional<std::string> user_id;                // ok: the account's id when stated
    std::optional<std::string> two_factor_identifier;  // two_factor_required
    std::vector<TwoFactorMethod> two_factor_methods;   // two_factor_required, in a fixed order: sms, totp, whatsapp
    std::optional<std::string> checkpoint_url;         // checkpoint/challenge_required, when present
    std::optional<std::string> feedback_message;       // feedback_required

    bool ok() const noexcept { return kind == ApiErrorKind::ok; }
};

/// Stable lower-case names ("bad_password", "sms", ...), for logs and JSON.
GRAMKIT_API std::string_view to_string(ApiErrorKind kind) noexcept;
GRAMKIT_API std::string_view to_string(TwoFactorMethod method) noexcept;
GRAMKIT_API std::string_view to_string(MediaType type) noexcept;
GRAMKIT_API std::string_view to_string(MediaKind kind) noexcept;

/// The gramkit error code for an outcome:
///
/// | ApiErrorKind                                   | ErrorCode           |
/// |------------------------------------------------|---------------------|
/// | ok                                             | ok                  |
/// | bad_password, invalid_user, login_required     | unauthenticated     |
/// | two_factor_required, checkpoint_required,      | failed_precondition |
/// |   challenge_required                           |                     |
/// | please_wait, rate_limited, feedback_required   | rate_limited        |
/// | generic (and structurally unusable bodies)     | upstream_error      |
///
/// Why: unauthenticated needs new credentials; failed_precondition needs a
/// human or a second factor before the account can go on; rate_limited is
/// cured by waiting (the account goes into cooldown, DESIGN.md §7).
GRAMKIT_API ErrorCode to_error_code(ApiErrorKind kind) noexcept;

/// An Error for a non-ok outcome: code from to_error_code, message
/// "instagram: <kind>: <Instagram's message>", details = the kind's name.
GRAMKIT_API Error to_error(const LoginResult& outcome);

}  // namespace gramkit::instagram
