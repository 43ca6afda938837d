// The Instagram service's dependencies and factory. The engine is the only
// caller: it owns everything referenced here and outlives the service.
#pragma once

#include <memory>

#include "gramkit/accounts.hpp"
#include "gramkit/ids.hpp"
#include "gramkit/instagram.hpp"
#include "gramkit/log.hpp"
#include "gramkit/proxies.hpp"
#include "gramkit/sessions.hpp"
#include "net/http_types.hpp"
#include "ratelimit/policy.hpp"
#include "storage/repositories.hpp"

namespace gramkit::instagram {

struct ServiceDeps {
    AccountService& accounts;
    ProxyService& proxies;
    SessionService& sessions;
    ratelimit::Limiter& limiter;
    storage::ActionRepository& actions;
    net::HttpTransport& http;
    std::shared_ptr<const Clock> clock;
    IdGenerator& ids;
    Logger& log;
    InstagramOptions options;
};

std::unique_ptr<InstagramService> make_instagram_service(ServiceDeps deps);

}  // namespace gramkit::instagram
