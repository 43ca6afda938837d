// igsim — bot accounts, web login (with the two-factor step) and the
// sessions it creates. Not thread-safe: App serialises calls.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "behaviour.hpp"
#include "http_message.hpp"
#include "world.hpp"

namespace igsim {

struct LoggedIn {
    std::string username;
    std::string user_id;
};

class Auth {
public:
    Auth(const World& world, std::uint64_t seed);

    /// Adds accounts; an existing username is replaced.
    void add_accounts(const std::vector<BotAccount>& accounts);
    const std::vector<BotAccount>& accounts() const noexcept { return accounts_; }

    /// GET /: fresh csrftoken and mid cookies.
    Response home_page(const Request& request);

    /// POST .../login/ajax/ with the form already parsed. `now` feeds TOTP.
    Response login(const Request& request, const std::map<std::string, std::string>& form,
                   const std::map<std::string, std::string>& cookies);
    /// POST .../login/ajax/two_factor/.
    Response two_factor(const Request& request, const std::map<std::string, std::string>& form,
                        const std::map<std::string, std::string>& cookies, std::int64_t now);

    /// The session's user, from the sessionid cookie.
    std::optional<LoggedIn> session(const std::map<std::string, std::string>& cookies) const;

private:
    const BotAccount* find_account(const std::string& username) const;
    std::string user_id_for(const BotAccount& account) const;
    std::string token(std::string_view label, std::size_t length);
    Response success(const Request& request, const BotAccount& account);
    static bool csrf_ok(const Request& request, const std::map<std::string, std::string>& cookies);

    const World& world_;
    std::uint64_t seed_;
    std::uint64_t token_counter_ = 0;
    std::vector<BotAccount> accounts_;
    std::map<std::string, LoggedIn> sessions_;            // sessionid → user
    std::map<std::string, std::string> pending_two_factor_;  // identifier → username
};

/// A JSON response with the given status and body.
Response json_response(int status, std::string body);

}  // namespace igsim
