// gramkit CLI — `gramkit vault rotate|keys`. Only key ids are ever shown,
// never key material.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <string>

#include "commands.hpp"
#include "context.hpp"
#include "output.hpp"

namespace gramkit::cli {

void register_vault_commands(CLI::App& app, Context& ctx) {
    auto* vault = app.add_subcommand("vault", "Manage the keys that encrypt stored secrets");
    vault->require_subcommand(1);
    {
        auto id = std::make_shared<std::string>();
        auto* cmd = vault->add_subcommand(
            "rotate", "Add a new newest key, then re-encrypt every stored secret with it");
        cmd->add_option("--key-id", *id, "Id of the new key (default k<N>)");
        cmd->callback([&ctx, id] {
            auto& v = ctx.engine().vault();
            const std::string key = unwrap(v.add_key(*id));
            const RewrapReport r = unwrap(v.rewrap());
            if (ctx.json()) {
                print_json(Json::object()
                               .set("added_key", key)
                               .set("key_id", r.key_id)
                               .set("examined", r.examined)
                               .set("rewrapped", r.rewrapped)
                               .set("keys", Json::array_of(v.key_ids())));
                return;
            }
            std::cout << "added key " << key << "\n"
                      << "rewrapped " << r.rewrapped << " of " << r.examined << " secrets; all are now sealed with "
                      << r.key_id << "\n"
                      << "older keys stay in the key file until you remove them by hand\n";
        });
    }
    {
        auto* cmd = vault->add_subcommand("keys", "List key ids, oldest first (never key material)");
        cmd->callback([&ctx] {
            auto& v = ctx.engine().vault();
            const auto ids = v.key_ids();
            const std::string newest = v.newest_key_id();
            if (ctx.json()) {
                print_json(Json::object().set("keys", Json::array_of(ids)).set("newest", newest));
                return;
            }
            Table t({"KEY", "NEWEST"});
            for (const auto& k : ids) t.add({k, k == newest ? "yes" : ""});
            t.print(std::cout);
        });
    }
}

}  // namespace gramkit::cli
