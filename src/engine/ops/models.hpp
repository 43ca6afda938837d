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

/// The value, or JSON null when absent (for optional numbers and strings;
/// optional timestamps go through to_json).
template <class T>
json::Value or_null(const std::optional<T>& v) {
    return v ? json::Value(*v) : json::Value();
}

json::Value to_json(Timestamp t);
json::Value to_json(const std::optional<Timestamp>& t);
json::Value to_json(const Account& a);
json::Value to_json(const StatusChange& c);
json::Value to_json(const Proxy& p);
json::Value to_json(const Session& s);
json::Value to_json(const RewrapReport& r);
/// A cookie without its value.
json::Value cookie_summary(const Cookie& c);

/// Any keyset page in the Page<T> shape of meta.operations: {items,
/// next_after}; `convert` turns one item into JSON (a lambda calling the
/// to_json overload visible where the page type is known).
template <class Items, class Convert>
json::Value page_json(const Items& items, const std::optional<std::int64_t>& next_after, Convert convert) {
    json::Value out_items = json::Value::array();
    for (const auto& item : items) out_items.push_back(convert(item));
    json::Value out = json::Value::object();
    out.set("items", std::move(out_items));
    out.set("next_after", or_null(next_after));
    return out;
}

template <class T>
json::Value page_to_json(const Page<T>& page) {
    return page_json(page.items, page.next_after, [](const T& item) { return to_json(item); });
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
