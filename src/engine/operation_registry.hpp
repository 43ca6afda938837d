// The operation registry (DESIGN.md §2): every capability as a named
// operation with a params schema, a result shape, a permission and a
// handler that calls a typed service method. The C ABI (gk_call), the REST
// server and Python all reach the library through it.
//
// Params are validated against the schema before the handler runs, so a
// handler can read declared fields without re-checking their types; every
// error names the field.
// Thread-safety: registration happens while the engine is built; afterwards
// the registry is read-only and `call` may run on any number of threads.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"
#include "gramkit/clock.hpp"
#include "gramkit/error.hpp"

namespace gramkit {
class Engine;
}

namespace gramkit::engine {

enum class ParamType { string, integer, boolean, timestamp, string_array, array, object };
std::string_view to_string(ParamType t) noexcept;

struct ParamSpec {
    std::string_view name;
    ParamType type;
    bool required;
    std::string_view description;
};

/// Validated params of one call. Declared-but-absent optional fields read as
/// nullopt; `is_null` tells an explicit JSON null (used to clear a field).
class Params {
public:
    Params(const json::Value& object, std::string_view op) : object_(object), op_(op) {}

    bool has(std::string_view name) const;      // present and not null
    bool is_null(std::string_view name) const;  // present and null
    std::string string(std::string_view name) const;
    std::optional<std::string> opt_string(std::string_view name) const;
    std::int64_t integer(std::string_view name) const;
    std::optional<std::int64_t> opt_integer(std::string_view name) const;
    std::optional<bool> opt_bool(std::string_view name) const;
    std::optional<Timestamp> opt_timestamp(std::string_view name) const;
    std::optional<std::vector<std::string>> opt_strings(std::string_view name) const;
    const json::Value* raw(std::string_view name) const;
    std::string_view op() const noexcept { return op_; }

private:
    const json::Value& object_;
    std::string_view op_;
};

using Handler = std::function<Result<json::Value>(Engine&, const Params&)>;

struct OperationSpec {
    std::string name;         // "accounts.create"
    std::string summary;      // one line for docs and meta.operations
    std::string permission;   // "accounts:write", ... (used by the REST server's RBAC)
    std::vector<ParamSpec> params;
    std::string result;       // shape name from meta.operations' "types", e.g. "Account", "Page<Account>"
    Handler handler;
};

class OperationRegistry {
public:
    /// Registers an operation; a duplicate name is a programming error (throws).
    void add(OperationSpec spec);
    const OperationSpec* find(std::string_view name) const;
    /// Every operation, sorted by name.
    std::vector<const OperationSpec*> all() const;

    /// Parses and validates `params_json` (empty = {}), runs the handler and
    /// serialises its result. `max_params_bytes` bounds the input.
    Result<std::string> call(Engine& engine, std::string_view op, std::string_view params_json,
                             std::size_t max_params_bytes) const;

private:
    std::map<std::string, OperationSpec, std::less<>> ops_;
};

/// Registration of each service's operations (src/engine/ops/*.cpp).
void register_account_operations(OperationRegistry& r);
void register_proxy_operations(OperationRegistry& r);
void register_session_operations(OperationRegistry& r);
void register_vault_operations(OperationRegistry& r);
void register_ratelimit_operations(OperationRegistry& r);
void register_instagram_operations(OperationRegistry& r);
void register_scrape_operations(OperationRegistry& r);
void register_job_operations(OperationRegistry& r);
void register_meta_operations(OperationRegistry& r);

}  // namespace gramkit::engine
