// gramkit — command-line tool for the embedded default (SQLite file plus a
// generated key file in a data directory).
//
//   gramkit [--data-dir DIR] [--storage-url URL] [--log-level L] [--json]
//           [--instagram-url URL] [--ca-file PEM] COMMAND ...
//
// Exit codes: 0 success, 1 a failed operation, 2 a bad command line.
// Errors go to stderr as "gramkit: <code>: <message>".
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

#include "commands.hpp"
#include "context.hpp"
#include "gramkit/engine.hpp"
#include "values.hpp"

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

std::string env_or(const char* name, std::string fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::string(v) : std::move(fallback);
}

int usage_error(const std::string& message) {
    std::cerr << "gramkit: usage: " << gramkit::cli::sanitize(message) << "\nRun 'gramkit --help' (or 'gramkit COMMAND --help') for usage.\n";
    return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace gramkit::cli;

    GlobalOptions options;
    options.data_dir = env_or("GRAMKIT_DATA_DIR", "./gramkit-data");
    options.storage_url = env_or("GRAMKIT_STORAGE_URL", "");
    options.instagram_url = env_or("GRAMKIT_INSTAGRAM_URL", "");
    options.ca_file = env_or("GRAMKIT_CA_FILE", "");

    CLI::App app{"gramkit — manage the accounts, proxies, sessions and keys of a gramkit data store, and read Instagram with them", "gramkit"};
    app.set_version_flag("--version", gramkit::version());
    app.require_subcommand(1);
    app.add_option("--data-dir", options.data_dir,
                   "Data directory holding gramkit.db and gramkit.keys (env GRAMKIT_DATA_DIR; created if missing)")
        ->capture_default_str();
    app.add_option("--storage-url", options.storage_url,
                   "Database URL instead of the SQLite file in the data directory (env GRAMKIT_STORAGE_URL)");
    app.add_option("--log-level", options.log_level, "trace, debug, info, warn, error or off")
        ->capture_default_str();
    app.add_flag("--json", options.json, "Print results as JSON");
    app.add_option("--instagram-url", options.instagram_url,
                   "Base URL of Instagram for the 'ig' commands, web and API host alike, e.g. a local igsim "
                   "(env GRAMKIT_INSTAGRAM_URL; default the real hosts)");
    app.add_option("--ca-file", options.ca_file,
                   "PEM file of CA certificates to trust for HTTPS instead of the system store (env GRAMKIT_CA_FILE)");

    app.footer(
        "Secrets (account passwords, TOTP seeds, proxy URLs with a password) are never taken from the\n"
        "command line: they are prompted for without echo on a terminal, or read one per line from stdin.\n"
        "Exit codes: 0 ok, 1 failed operation, 2 bad command line. Reference: docs/cli.md");

    Context ctx(options);
    register_account_commands(app, ctx);
    register_proxy_commands(app, ctx);
    register_session_commands(app, ctx);
    register_vault_commands(app, ctx);
    register_instagram_commands(app, ctx);
    register_jobs_commands(app, ctx);
    register_scrape_commands(app, ctx);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        return usage_error(e.what());
    } catch (const UsageError& e) {
        return usage_error(e.what());
    } catch (const CommandError& e) {
        std::cerr << "gramkit: " << gramkit::to_string(e.error().code) << ": " << sanitize(e.error().message) << '\n';
        return kExitFailure;
    } catch (const std::exception& e) {
        std::cerr << "gramkit: internal: " << sanitize(e.what()) << '\n';
        return kExitFailure;
    }
    std::cout.flush();
    if (!std::cout) {
        std::cerr << "gramkit: unavailable: cannot write the output\n";
        return kExitFailure;
    }
    return EXIT_SUCCESS;
}
