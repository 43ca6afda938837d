#include "engine/operation_registry.hpp"

#include <stdexcept>

#include "core/text.hpp"
#include "gramkit/time_format.hpp"

namespace gramkit::engine {
namespace {

bool matches(ParamType t, const json::Value& v) {
    switch (t) {
        case ParamType::string:
        case ParamType::timestamp: return v.is_string();
        case ParamType::integer: return v.is_int();
        case ParamType::boolean: return v.is_bool();
        case ParamType::array: return v.is_array();
        case ParamType::object: return v.is_object();
        case ParamType::string_array:
            if (!v.is_array()) return false;
            for (const auto& e : v.as_array())
                if (!e.is_string()) return false;
            return true;
    }
    return false;
}

std::string describe(ParamType t) {
    switch (t) {
        case ParamType::string: return "a string";
        case ParamType::timestamp: return "an RFC 3339 timestamp string";
        case ParamType::integer: return "an integer";
        case ParamType::boolean: return "a boolean";
        case ParamType::array: return "an array";
        case ParamType::object: return "an object";
        case ParamType::string_array: return "an array of strings";
    }
    return "?";
}

Status validate(const OperationSpec& spec, const json::Value& params) {
    for (const auto& [key, value] : params.as_object()) {
        const ParamSpec* p = nullptr;
        for (const auto& s : spec.params)
            if (s.name == key) p = &s;
        std::string shown = quote_for_message(key);
        if (!p) return fail(ErrorCode::invalid_argument, "unknown parameter '" + shown + "' for " + spec.name, shown);
        if (value.is_null()) {
            if (p->required) return fail(ErrorCode::invalid_argument, "'" + key + "' must not be null", key);
            continue;
        }
        if (!matches(p->type, value))
            return fail(ErrorCode::invalid_argument,
                        "'" + key + "' must be " + describe(p->type) + " (got " +
                            std::string(json::type_name(value.type())) + ")",
                        key);
        if (p->type == ParamType::timestamp) {
            if (auto t = parse_timestamp_utc(value.as_string()); !t)
                return fail(ErrorCode::invalid_argument, "'" + key + "': " + t.error().message, key);
        }
    }
    // Duplicate keys would make "which value wins" ambiguous.
    const auto& members = params.as_object();
    for (std::size_t i = 0; i < members.size(); ++i)
        for (std::size_t j = i + 1; j < members.size(); ++j)
            if (members[i].first == members[j].first)
                return fail(ErrorCode::invalid_argument, "parameter '" + members[i].first + "' appears twice",
                            members[i].first);
    for (const auto& s : spec.params) {
        if (!s.required) continue;
        const auto* v = params.find(s.name);
        if (!v) return fail(ErrorCode::invalid_argument, "'" + std::string(s.name) + "' is required", std::string(s.name));
    }
    return {};
}

}  // namespace

std::string_view to_string(ParamType t) noexcept {
    switch (t) {
        case ParamType::string: return "string";
        case ParamType::integer: return "integer";
        case ParamType::boolean: return "boolean";
        case ParamType::timestamp: return "timestamp";
        case ParamType::string_array: return "string[]";
        case ParamType::array: return "array";
        case ParamType::object: return "object";
    }
    return "?";
}

// --- Params ------------------------------------------------------------------

const json::Value* Params::raw(std::string_view name) const { return object_.find(name); }
bool Params::has(std::string_view name) const {
    const auto* v = raw(name);
    return v && !v->is_null();
}
bool Params::is_null(std::string_view name) const {
    const auto* v = raw(name);
    return v && v->is_null();
}
std::string Params::string(std::string_view name) const { return raw(name)->as_string(); }
std::optional<std::string> Params::opt_string(std::string_view name) const {
    return has(name) ? std::optional<std::string>(raw(name)->as_string()) : std::nullopt;
}
std::int64_t Params::integer(std::string_view name) const { return raw(name)->as_int(); }
std::optional<std::int64_t> Params::opt_integer(std::string_view name) const {
    return has(name) ? std::optional<std::int64_t>(raw(name)->as_int()) : std::nullopt;
}
std::optional<bool> Params::opt_bool(std::string_view name) const {
    return has(name) ? std::optional<bool>(raw(name)->as_bool()) : std::nullopt;
}
std::optional<Timestamp> Params::opt_timestamp(std::string_view name) const {
    if (!has(name)) return std::nullopt;
    auto t = parse_timestamp_utc(raw(name)->as_string());  // validated already
    return t ? std::optional<Timestamp>(*t) : std::nullopt;
}
std::optional<std::vector<std::string>> Params::opt_strings(std::string_view name) const {
    if (!has(name)) return std::nullopt;
    std::vector<std::string> out;
    for (const auto& v : raw(name)->as_array()) out.push_back(v.as_string());
    return out;
}

// --- registry -------------------------------------------------------------------

void OperationRegistry::add(OperationSpec spec) {
    auto name = spec.name;
    if (!ops_.emplace(name, std::move(spec)).second) throw std::logic_error("operation registered twice: " + name);
}

const OperationSpec* OperationRegistry::find(std::string_view name) const {
    auto it = ops_.find(name);
    return it == ops_.end() ? nullptr : &it->second;
}

std::vector<const OperationSpec*> OperationRegistry::all() const {
    std::vector<const OperationSpec*> out;
    for (const auto& [name, spec] : ops_) out.push_back(&spec);
    return out;
}

Result<std::string> OperationRegistry::call(Engine& engine, std::string_view op, std::string_view params_json,
                                            std::size_t max_params_bytes) const {
    const OperationSpec* spec = find(op);
    if (!spec) {
        std::string shown = quote_for_message(op);
        return fail(ErrorCode::not_found, "unknown operation '" + shown + "' (meta.operations lists them)", "op");
    }
    if (params_json.size() > max_params_bytes)
        return fail(ErrorCode::invalid_argument,
                    "params are too large (" + std::to_string(params_json.size()) + " bytes, at most " +
                        std::to_string(max_params_bytes) + ")",
                    "params");
    json::Value params = json::Value::object();
    if (params_json.find_first_not_of(" \t\r\n") != std::string_view::npos) {
        auto parsed = json::parse(params_json);
        if (!parsed) return fail(ErrorCode::invalid_argument, "params: " + parsed.error().message, "params");
        params = std::move(*parsed);
    }
    if (!params.is_object())
        return fail(ErrorCode::invalid_argument,
                    "params must be a JSON object (got " + std::string(json::type_name(params.type())) + ")", "params");
    GK_TRY(validate(*spec, params));
    GK_ASSIGN_OR_RETURN(auto result, spec->handler(engine, Params(params, spec->name)));
    return json::to_string(result);
}

}  // namespace gramkit::engine
