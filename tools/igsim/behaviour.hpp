// igsim — the tunable parts of the simulator: bot accounts and the
// misbehaviour knobs. Set from flags at startup and changed at runtime by
// POST /__igsim/config (config_json.hpp reads the JSON form).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace igsim {

/// How a bot account's login ends when the password is right.
enum class LoginOutcome { ok, bad_password, two_factor, checkpoint };

struct BotAccount {
    std::string username;
    std::string password;
    LoginOutcome outcome = LoginOutcome::ok;
    std::string totp_seed_base32;  // two_factor: codes from this RFC 6238 seed are accepted
    std::string two_factor_code;   // two_factor: this fixed code is accepted too (when set)
    std::string user_id;           // empty: derived from the seed and username
};

/// N requests per window per session (or for everybody), then 429.
struct RateLimitRule {
    int limit = 0;  // 0 = off
    int window_seconds = 60;
    bool per_session = true;
    int retry_after_seconds = 0;  // 0 = the seconds left in the window
};

struct Behaviour {
    bool allow_anonymous = false;  // read endpoints without a session
    bool gzip = false;             // gzip JSON/HTML when the client accepts it
    RateLimitRule rate_limit;
    int please_wait_next = 0;                    // the next N API requests get fixture 15 (400)
    std::vector<std::string> feedback_required;  // usernames or sessionids answered with fixture 18
    std::uint32_t delay_ms = 0;                  // every response waits this long (on a timer)
    int drop_every = 0;                          // every Nth request: close without answering
    int truncate_every = 0;                      // every Nth request: half the body, then close
    std::optional<std::int64_t> clock;           // fake unix time (TOTP, rate windows); empty = real
};

const char* to_string(LoginOutcome outcome) noexcept;
/// "ok", "bad_password", "two_factor", "checkpoint"; nullopt otherwise.
std::optional<LoginOutcome> parse_login_outcome(std::string_view text) noexcept;

}  // namespace igsim
