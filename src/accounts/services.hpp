// Factories for the account-layer services. The engine is the only caller:
// it owns everything in ServiceContext and outlives the services.
#pragma once

#include <memory>

#include "gramkit/accounts.hpp"
#include "gramkit/clock.hpp"
#include "gramkit/crypto.hpp"
#include "gramkit/events.hpp"
#include "gramkit/ids.hpp"
#include "gramkit/log.hpp"
#include "gramkit/proxies.hpp"
#include "gramkit/sessions.hpp"
#include "gramkit/vault.hpp"
#include "ratelimit/policy.hpp"
#include "storage/repositories.hpp"

namespace gramkit::accounts {

struct ServiceContext {
    storage::Backend& backend;
    crypto::KeyRing& keys;
    const Clock& clock;
    IdGenerator& ids;
    Logger& log;
    int proxy_failure_threshold = 3;
    EventBus* events = nullptr;  // nullptr = no events (tests of a single service)
    ratelimit::Limiter* limiter = nullptr;  // nullptr = cooldowns do not penalize keys
};

/// Persists a key ring after `Vault::add_key`; empty when keys are not
/// writable (they came from the environment).
using KeyRingPersister = std::function<Status(const crypto::KeyRing&)>;

std::unique_ptr<AccountService> make_account_service(const ServiceContext& ctx);
std::unique_ptr<ProxyService> make_proxy_service(const ServiceContext& ctx);
std::unique_ptr<SessionService> make_session_service(const ServiceContext& ctx);
/// The manager ends expired cooldowns through `accounts` before each checkout.
std::unique_ptr<SessionManager> make_session_manager(const ServiceContext& ctx, AccountService& accounts);
std::unique_ptr<Vault> make_vault(const ServiceContext& ctx, KeyRingPersister persist);

}  // namespace gramkit::accounts
