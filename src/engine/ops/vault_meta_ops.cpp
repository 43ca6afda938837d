// vault.* and meta.* operations.
#include "engine/operation_registry.hpp"
#include "engine/ops/models.hpp"
#include "gramkit/engine.hpp"

namespace gramkit::engine {
namespace {

using enum ParamType;

json::Value key_ids(Engine& e) {
    json::Value ids = json::Value::array();
    for (const auto& id : e.vault().key_ids()) ids.push_back(id);
    json::Value o = json::Value::object();
    o.set("keys", std::move(ids));
    o.set("newest", e.vault().newest_key_id());
    return o;
}

}  // namespace

void register_vault_operations(OperationRegistry& r) {
    r.add({"vault.keys", "Key ids on the ring (never key material).", "vault:admin", {}, "{keys: string[], newest: string}",
           [](Engine& e, const Params&) -> Result<json::Value> { return key_ids(e); }});
    r.add({"vault.add_key", "Generate a new newest key and persist the key file.", "vault:admin",
           {{"id", string, false, "key id (default k<N>)"}}, "{keys: string[], newest: string}",
           [](Engine& e, const Params& p) -> Result<json::Value> {
               GK_TRY(e.vault().add_key(p.opt_string("id").value_or("")));
               return key_ids(e);
           }});
    r.add({"vault.rewrap", "Re-encrypt every stored secret under the newest key.", "vault:admin", {}, "RewrapReport",
           [](Engine& e, const Params&) -> Result<json::Value> {
               GK_ASSIGN_OR_RETURN(auto report, e.vault().rewrap());
               return to_json(report);
           }});
}

void register_meta_operations(OperationRegistry& r) {
    r.add({"meta.version", "Library version.", "meta:read", {}, "{version: string}",
           [](Engine&, const Params&) -> Result<json::Value> {
               return json::Value(json::Value::Object{{"version", gramkit::version()}});
           }});
    // meta.operations needs the registry itself, so the lambda keeps a
    // pointer to it (the registry outlives every call).
    r.add({"meta.operations", "Every operation with its params, result shape and permission.", "meta:read", {},
           "{operations: Operation[], types: object}",
           [&r](Engine&, const Params&) -> Result<json::Value> {
               json::Value ops = json::Value::array();
               for (const auto* spec : r.all()) {
                   json::Value params = json::Value::array();
                   for (const auto& p : spec->params) {
                       json::Value o = json::Value::object();
                       o.set("name", p.name);
                       o.set("type", to_string(p.type));
                       o.set("required", p.required);
                       o.set("description", p.description);
                       params.push_back(std::move(o));
                   }
                   json::Value o = json::Value::object();
                   o.set("name", spec->name);
                   o.set("summary", spec->summary);
                   o.set("permission", spec->permission);
                   o.set("params", std::move(params));
                   o.set("result", spec->result);
                   ops.push_back(std::move(o));
               }
               json::Value out = json::Value::object();
               out.set("operations", std::move(ops));
               out.set("types", model_shapes());
               return out;
           }});
}

}  // namespace gramkit::engine
