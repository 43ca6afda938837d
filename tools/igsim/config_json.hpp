// igsim — reading Behaviour changes and bot accounts from JSON (the
// --accounts file, --config file and POST /__igsim/config bodies), and
// writing the current Behaviour back for GET /__igsim/config.
#pragma once

#include <string>
#include <vector>

#include "behaviour.hpp"
#include "core/json.hpp"
#include "gramkit/error.hpp"

namespace igsim {

/// Applies the keys present in `config` to `behaviour` (absent keys keep
/// their value). Accounts listed under "accounts" are appended to
/// `accounts`. Unknown keys and wrong types are errors naming the key; on
/// error nothing is changed.
gramkit::Status apply_config(const gramkit::json::Value& config, Behaviour& behaviour,
                             std::vector<BotAccount>& accounts);

/// [{username,password,outcome,totp_seed_base32,two_factor_code,user_id}, ...]
/// or a single such object.
gramkit::Result<std::vector<BotAccount>> parse_accounts(const gramkit::json::Value& value);

std::string behaviour_to_json(const Behaviour& behaviour);

}  // namespace igsim
