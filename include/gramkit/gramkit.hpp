// gramkit — umbrella header for C++ hosts.
#pragma once

#include "gramkit/accounts.hpp"
#include "gramkit/clock.hpp"
#include "gramkit/crypto.hpp"
#include "gramkit/engine.hpp"
#include "gramkit/error.hpp"
#include "gramkit/events.hpp"
#include "gramkit/ids.hpp"
#include "gramkit/log.hpp"
#include "gramkit/proxies.hpp"
#include "gramkit/sessions.hpp"
#include "gramkit/time_format.hpp"
#include "gramkit/vault.hpp"
