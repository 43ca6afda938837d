// gramkit CLI — each command group registers its subcommands on the app.
// The callbacks run after parsing and may throw CommandError/UsageError.
#pragma once

namespace CLI {
class App;
}

namespace gramkit::cli {

class Context;

void register_account_commands(CLI::App& app, Context& ctx);
void register_proxy_commands(CLI::App& app, Context& ctx);
void register_session_commands(CLI::App& app, Context& ctx);
void register_vault_commands(CLI::App& app, Context& ctx);
void register_instagram_commands(CLI::App& app, Context& ctx);
/// `jobs ...`, `schedules ...` and `workers run`.
void register_jobs_commands(CLI::App& app, Context& ctx);
/// `scrape profile|posts|hashtag|media ...` and the task commands.
void register_scrape_commands(CLI::App& app, Context& ctx);

}  // namespace gramkit::cli
