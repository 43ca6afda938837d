// gramkit — bot accounts, their status machine and status history
// (DESIGN.md §5, §7).
//
// Ownership: every function returns values the caller owns. Secrets
// (passwords, TOTP seeds) are accepted in plain text, encrypted before they
// reach storage, and only ever returned by the explicit `reveal_*` calls.
// Thread-safety: an AccountService may be called from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gramkit/clock.hpp"
#include "gramkit/error.hpp"
#include "gramkit/export.hpp"

namespace gramkit {

/// DESIGN.md §7. Allowed transitions are listed in docs/accounts.md and
/// checked by `status_transition_allowed`.
enum class AccountStatus { active, paused, cooldown, challenge_required, login_failed, disabled };

GRAMKIT_API std::string_view to_string(AccountStatus s) noexcept;
GRAMKIT_API Result<AccountStatus> parse_account_status(std::string_view text);
/// Whether `from` → `to` is a legal transition (the same state is never one,
/// except cooldown → cooldown, which extends a cooldown).
GRAMKIT_API bool status_transition_allowed(AccountStatus from, AccountStatus to) noexcept;

/// One page of a keyset-paginated listing. Pass `next_after` back as the
/// filter's `after` to get the next page; empty when this is the last page.
template <class T>
struct Page {
    std::vector<T> items;
    std::optional<std::int64_t> next_after;
};

struct Account {
    std::int64_t id = 0;
    std::string username;
    std::optional<std::string> email;
    std::vector<std::string> labels;  // sorted, unique
    AccountStatus status = AccountStatus::active;
    std::string status_reason;
    std::optional<Timestamp> cooldown_until;  // set while status == cooldown
    std::optional<std::int64_t> proxy_id;     // sticky proxy assignment
    bool has_totp_seed = false;
    Timestamp created_at{};
    Timestamp updated_at{};
};

struct NewAccount {
    std::string username;                  // Instagram rules: 1–30 of [A-Za-z0-9._], not starting/ending with '.', no ".."
    std::string password;                  // required, 1–256 bytes; encrypted at rest
    std::optional<std::string> email;      // validated loosely (one '@', no spaces)
    std::optional<std::string> totp_seed;  // base32 seed; encrypted at rest
    std::vector<std::string> labels;       // each 1–64 of [A-Za-z0-9._:-]
};

/// Fields to change; an unset optional leaves the field as it is. For
/// email/totp_seed an inner nullopt clears the field.
struct AccountUpdate {
    std::optional<std::string> username;
    std::optional<std::string> password;
    std::optional<std::optional<std::string>> email;
    std::optional<std::optional<std::string>> totp_seed;
    std::optional<std::vector<std::string>> labels;
};

struct AccountFilter {
    std::optional<AccountStatus> status;
    std::optional<std::string> label;
    std::optional<std::int64_t> after;  // keyset cursor: ids greater than this
    std::size_t limit = 50;             // 1..1000
};

struct StatusChange {
    std::int64_t account_id = 0;
    AccountStatus from = AccountStatus::active;
    AccountStatus to = AccountStatus::active;
    std::string reason;
    std::optional<Timestamp> until;
    Timestamp at{};
};

/// Validation used by the service (exposed so hosts can check input early).
GRAMKIT_API Status validate_username(std::string_view username);
GRAMKIT_API Status validate_label(std::string_view label);

class GRAMKIT_API AccountService {
public:
    virtual ~AccountService() = default;

    /// Registers an account in status `active`. `invalid_argument` names the
    /// bad field; `conflict` if the username is taken.
    virtual Result<Account> create(const NewAccount& spec) = 0;
    /// Registers several accounts in one transaction: all or none. An error
    /// names the entry ("accounts[3]: ..."). At most 10 000 per call.
    virtual Result<std::vector<Account>> create_many(const std::vector<NewAccount>& specs) = 0;
    virtual Result<Account> get(std::int64_t id) = 0;
    virtual Result<Account> get_by_username(std::string_view username) = 0;
    virtual Result<Page<Account>> list(const AccountFilter& filter) = 0;
    virtual Result<Account> update(std::int64_t id, const AccountUpdate& update) = 0;
    /// Deletes the account, its session (cookies) and its secrets.
    virtual Status remove(std::int64_t id) = 0;
    /// Guarded transition, recorded in the status history with `reason`.
    /// `until` is required for (and only allowed with) `cooldown`.
    /// Illegal transitions are `conflict`.
    virtual Result<Account> change_status(std::int64_t id, AccountStatus to, std::string_view reason,
                                          std::optional<Timestamp> until = std::nullopt) = 0;
    /// Moves the account to `cooldown` until `until` and penalizes its
    /// rate-limit keys (request part "account:<id>") until then, so no
    /// process of the fleet sends requests for it. With `escalate`, a repeat
    /// within the escalation window doubles the duration (capped at 24 h);
    /// the returned account carries the effective `cooldown_until`.
    /// From `cooldown` this extends the cooldown.
    virtual Result<Account> cooldown(std::int64_t id, Timestamp until, std::string_view reason,
                                     bool escalate = false) = 0;
    /// Returns every account whose cooldown has ended to `active`
    /// (reason "cooldown ended"); returns how many. `get` does the same
    /// lazily for the account it reads, and the session manager sweeps
    /// before each checkout.
    virtual Result<std::size_t> expire_cooldowns() = 0;
    /// Newest first.
    virtual Result<std::vector<StatusChange>> status_history(std::int64_t id, std::size_t limit = 100) = 0;

    /// Decrypts the stored password. Secret: never log the result.
    virtual Result<std::string> reveal_password(std::int64_t id) = 0;
    /// Decrypts the stored TOTP seed, nullopt if the account has none.
    virtual Result<std::optional<std::string>> reveal_totp_seed(std::int64_t id) = 0;
};

}  // namespace gramkit
