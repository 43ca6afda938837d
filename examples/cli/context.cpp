// gramkit CLI — opening the engine on the embedded default and resolving
// account arguments.
#include "context.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <system_error>

#include "values.hpp"

namespace gramkit::cli {
namespace fs = std::filesystem;

Engine& Context::engine() {
    if (engine_) return *engine_;

    auto level = parse_log_level(options_.log_level);
    if (!level) throw UsageError("--log-level: " + level.error().message);

    std::error_code ec;
    const fs::path data_dir =
        fs::absolute(options_.data_dir.empty() ? "gramkit-data" : options_.data_dir, ec).lexically_normal();
    if (ec) throw CommandError(ErrorCode::invalid_argument, "--data-dir: " + ec.message());
    if (!fs::exists(data_dir, ec)) {
        fs::create_directories(data_dir, ec);
        if (ec) {
            throw CommandError(ErrorCode::unavailable,
                               "cannot create data directory " + data_dir.string() + ": " + ec.message());
        }
        // It holds the key file and the database: owner only.
        ::chmod(data_dir.c_str(), 0700);
    } else if (!fs::is_directory(data_dir, ec)) {
        throw CommandError(ErrorCode::invalid_argument, "--data-dir: " + data_dir.string() + " is not a directory");
    }

    EngineConfig config;
    config.data_dir = data_dir.string();
    config.storage_url = options_.storage_url.empty() ? "sqlite://" + (data_dir / "gramkit.db").string()
                                                      : options_.storage_url;
    config.log_level = *level;
    if (!options_.instagram_url.empty()) {
        const std::string& url = options_.instagram_url;
        // Engine::open takes the struct as given; a URL without a scheme
        // would only fail later, at the first request, with a vaguer error.
        if (!url.starts_with("http://") && !url.starts_with("https://"))
            throw UsageError("--instagram-url: must start with http:// or https:// (got '" + sanitize(url) + "')");
        // One server plays both hosts (as igsim does): the web app's and the API's.
        config.instagram.web_base_url = url;
        config.instagram.api_base_url = url;
    }
    if (!options_.ca_file.empty()) {
        if (!fs::is_regular_file(options_.ca_file, ec))
            throw CommandError(ErrorCode::not_found, "--ca-file: no such file " + sanitize(options_.ca_file));
        config.http_ca_file = fs::absolute(options_.ca_file, ec).string();
    }

    // Library log records (for example the note that a new key file was
    // generated) go to stderr without the timestamp a terminal user does
    // not need: "gramkit: warn: component=vault event=vault.key_file_created ...".
    config.log_sink = [](const LogRecord& record) {
        std::string line = format_logfmt(record);
        if (line.starts_with("ts=")) {
            const auto space = line.find(' ');
            line.erase(0, space == std::string::npos ? line.size() : space + 1);
        }
        if (line.starts_with("level=")) {
            const auto space = line.find(' ');
            line = line.substr(6, space == std::string::npos ? std::string::npos : space - 6) + ":" +
                   (space == std::string::npos ? std::string() : line.substr(space));
        }
        line = "gramkit: " + line + "\n";
        std::fwrite(line.data(), 1, line.size(), stderr);
    };

    engine_ = unwrap(Engine::open(std::move(config)));
    return *engine_;
}

Account Context::find_account(std::string_view id_or_username) {
    if (id_or_username.empty()) throw UsageError("an account id or username is required");
    auto& accounts = engine().accounts();
    if (auto id = parse_id(id_or_username)) {
        auto by_id = accounts.get(*id);
        if (by_id) return *by_id;
        if (by_id.error().code != ErrorCode::not_found) throw CommandError(by_id.error());
    }
    auto by_name = accounts.get_by_username(id_or_username);
    if (!by_name && by_name.error().code == ErrorCode::not_found) {
        throw CommandError(ErrorCode::not_found, "no account with id or username '" + sanitize(id_or_username) + "'");
    }
    return unwrap(std::move(by_name));
}

}  // namespace gramkit::cli
