// Account status names and the transition table of DESIGN.md §7
// (documented in docs/accounts.md; keep the two in step).
#include <array>

#include "core/text.hpp"
#include "gramkit/accounts.hpp"

namespace gramkit {
namespace {

constexpr std::array<std::string_view, 6> kStatusNames = {
    "active", "paused", "cooldown", "challenge_required", "login_failed", "disabled"};

// kAllowed[from][to]. Rationale per row:
//  active:    may go anywhere (operator pause/disable, Instagram answers).
//  paused:    makes no requests, so Instagram cannot move it: only the
//             operator resumes or disables it.
//  cooldown:  may be extended (cooldown→cooldown), expire to active, or be
//             overtaken by a worse answer (challenge, bad password).
//  challenge_required / login_failed: resolved by the operator (active),
//             parked (paused) or retired (disabled); a failed login after a
//             challenge is possible, the reverse is not.
//  disabled:  retired; only an operator brings it back (active or paused).
constexpr bool kAllowed[6][6] = {
    //            active paused cooldown challenge login_failed disabled
    /* active */ {false, true, true, true, true, true},
    /* paused */ {true, false, false, false, false, true},
    /* cooldn */ {true, true, true, true, true, true},
    /* chall. */ {true, true, false, false, true, true},
    /* loginf */ {true, true, false, false, false, true},
    /* disabl */ {true, true, false, false, false, false},
};

}  // namespace

std::string_view to_string(AccountStatus s) noexcept {
    auto i = static_cast<std::size_t>(s);
    return i < kStatusNames.size() ? kStatusNames[i] : std::string_view("unknown");
}

Result<AccountStatus> parse_account_status(std::string_view text) {
    for (std::size_t i = 0; i < kStatusNames.size(); ++i)
        if (kStatusNames[i] == text) return static_cast<AccountStatus>(i);
    return fail(ErrorCode::invalid_argument,
                "unknown account status '" + quote_for_message(text, 40) +
                    "' (expected active, paused, cooldown, challenge_required, login_failed or disabled)",
                "status");
}

bool status_transition_allowed(AccountStatus from, AccountStatus to) noexcept {
    auto f = static_cast<std::size_t>(from), t = static_cast<std::size_t>(to);
    if (f >= 6 || t >= 6) return false;
    return kAllowed[f][t];
}

}  // namespace gramkit
