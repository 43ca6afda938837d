// gramkit — the Instagram service: login and the public read endpoints,
// made on behalf of one bot account (its session cookies, its sticky proxy,
// its rate limits), with Instagram's answers fed back into the account's
// status (DESIGN.md §7). Models: gramkit/instagram_models.hpp.
//
// What happens on every call (docs/instagram.md, "Request pipeline"):
//   1. the account is read (and a finished cooldown ended); a paused,
//      disabled, challenged or cooling-down account is refused
//      (failed_precondition / rate_limited) without a request;
//   2. the limiter is asked for account × action class × endpoint class and
//      the proxy; a denial is `rate_limited` naming the rule and the wait;
//   3. the request goes through the account's sticky proxy with the
//      account's cookies and device user agent; cookies the answer sets are
//      saved back to the session;
//   4. the answer is classified: 429 / "please wait" → account cooldown
//      (Retry-After, default 11 min, escalating on repeats),
//      feedback_required → 12 h cooldown, checkpoint/challenge →
//      challenge_required, bad password → login_failed, login_required →
//      session invalidated; each is returned as the typed error;
//   5. the request is written to the action log (account, proxy, action,
//      target, outcome, HTTP status, latency).
//
// Never: likes, follows, comments, messages, or evading Instagram's
// defences. It reads public data politely.
//
// Thread-safety: every method may be called from any thread; calls are
// blocking (they perform network I/O on the calling thread's behalf).
// Ownership: results are plain values owned by the caller.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gramkit/clock.hpp"
#include "gramkit/error.hpp"
#include "gramkit/export.hpp"
#include "gramkit/instagram_models.hpp"

namespace gramkit::instagram {

/// Where Instagram is and how politely to treat it. Part of EngineConfig.
struct InstagramOptions {
    /// The web host (login, web_profile_info, GraphQL, tags/web_info, /p/).
    std::string web_base_url = "https://www.instagram.com";
    /// The mobile API host (media info).
    std::string api_base_url = "https://i.instagram.com";
    /// The web app's application id, sent as X-IG-App-ID.
    std::string app_id = "936619743392459";
    /// GraphQL document id of the user timeline query (the 2024 web app's
    /// PolarisProfilePostsQuery); configurable because Instagram rotates it.
    std::string timeline_doc_id = "7898261790222653";
    /// User-Agent when the session has no device user agent.
    std::string user_agent =
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36";
    /// Cooldown after 429 / "please wait" without a Retry-After.
    std::chrono::seconds rate_limit_cooldown = std::chrono::minutes(11);
    /// Cooldown after feedback_required.
    std::chrono::seconds feedback_cooldown = std::chrono::hours(12);
    /// A 429 / "please wait" that came through a proxy cools the proxy down
    /// too (its rate-limit part "proxy:<id>", until the account's cooldown
    /// ends), so the other accounts on that address wait with it.
    bool proxy_cooldown = true;
    /// Refuse to send without a proxy (an account with no proxy assigned and
    /// none assignable gets `failed_precondition`). Off: send directly.
    bool require_proxy = false;
    /// Posts per timeline page requested (1..50).
    int page_size = 12;
};

/// A login attempt. Passwords and TOTP seeds come from the account's
/// encrypted columns, never from here.
struct LoginRequest {
    std::int64_t account_id = 0;
    /// The two-factor code the operator typed in. Without it, an account
    /// with a stored TOTP seed answers the two-factor step by itself; one
    /// without gets `two_factor_required` with the identifier to resume.
    std::optional<std::string> two_factor_code;
    /// Resume a two-factor step started by an earlier attempt.
    std::optional<std::string> two_factor_identifier;
};

struct PostsRequest {
    std::int64_t account_id = 0;
    std::string username;
    std::optional<std::string> cursor;  // next_cursor of the previous page
};

struct HashtagRequest {
    std::int64_t account_id = 0;
    std::string tag;  // without '#'
    std::optional<std::string> cursor;
};

class GRAMKIT_API InstagramService {
public:
    virtual ~InstagramService() = default;

    /// Logs the account in (CSRF cookie, `enc_password` in the
    /// `#PWD_INSTAGRAM_BROWSER:0:<time>:<password>` form, the two-factor
    /// step). On success the session holds the new cookies and the account
    /// is active. The result says what Instagram answered; a non-ok answer
    /// is also applied to the account (login_failed, challenge_required,
    /// cooldown) and returned as the typed error, except
    /// two_factor_required, which is returned as a result so the caller can
    /// supply the code.
    virtual Result<LoginResult> login(const LoginRequest& request) = 0;

    /// A profile by username, with its first page of posts.
    virtual Result<Profile> profile(std::int64_t account_id, std::string_view username) = 0;
    /// One page of a user's posts.
    virtual Result<PostsPage> posts(const PostsRequest& request) = 0;
    /// One page of a hashtag (top posts on the first page, recent posts).
    virtual Result<HashtagPage> hashtag(const HashtagRequest& request) = 0;
    /// A post by numeric media id or by shortcode.
    virtual Result<Post> media(std::int64_t account_id, std::string_view id_or_shortcode) = 0;
};

}  // namespace gramkit::instagram
