// JSON forms of the public models, shared by every face (C ABI, REST,
// Python). Secrets are never part of them: accounts say `has_totp_seed`,
// proxies show the redacted URL, cookies are listed without values.
#pragma once

#include <initializer_list>
#include <optional>
#include <utility>

#include "core/json.hpp"
#include "gramkit/accounts.hpp"
#include "gramkit/proxies.hpp"
#include "gramkit/sessions.hpp"
#include "gramkit/vault.hpp"

namespace gramkit::engine {

json::Value to_json(Timestamp t);
json::Value to_json(const std::optional<Timestamp>& t);
json::Value to_json(const Account& a);
json::Value to_json(const StatusChange& c);
json::Value to_json(const Proxy& p);
json::Value to_json(const Session& s);
json::Value to_json(const RewrapReport& r);
/// A cookie without its value.
json::Value cookie_summary(const Cookie& c);

template <class T>
json::Value page_to_json(const Page<T>& page) {
    json::Value items = json::Value::array();
    for (const auto& item : page.items) items.push_back(to_json(item));
    json::Value out = json::Value::object();
    out.set("items", std::move(items));
    out.set("next_after", page.next_after ? json::Value(*page.next_after) : json::Value());
    return out;
}

/// One shape for meta.operations' "types": {field: type description}.
json::Value shape(std::initializer_list<std::pair<const char*, const char*>> fields);

/// Field lists of the shapes named in OperationSpec::result, for
/// meta.operations.
json::Value model_shapes();

/// Reads an optional "limit" param with a default, as size_t (range checks
/// stay in the services).
std::size_t limit_or(std::optional<std::int64_t> limit, std::size_t fallback);

}  // namespace gramkit::engine
