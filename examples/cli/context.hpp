// gramkit CLI — what every command shares: the global options, the lazily
// opened Engine, and how failures leave a command.
//
// Commands report failures by throwing CommandError (a gramkit::Error, exit
// code 1) or UsageError (bad command line, exit code 2); main() prints them.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "gramkit/engine.hpp"

namespace gramkit::cli {

struct GlobalOptions {
    std::string data_dir;     // --data-dir / GRAMKIT_DATA_DIR / ./gramkit-data
    std::string storage_url;  // --storage-url / GRAMKIT_STORAGE_URL; empty = SQLite in data_dir
    std::string log_level = "warn";
    std::string instagram_url;  // --instagram-url / GRAMKIT_INSTAGRAM_URL; empty = the real Instagram hosts
    std::string ca_file;        // --ca-file / GRAMKIT_CA_FILE; empty = the system CA store
    bool json = false;
};

/// A failed library call (or a CLI-side check that maps to an error code).
class CommandError : public std::runtime_error {
public:
    explicit CommandError(Error e) : std::runtime_error(e.message), error_(std::move(e)) {}
    CommandError(ErrorCode code, std::string message) : CommandError(Error{code, std::move(message)}) {}
    const Error& error() const noexcept { return error_; }

private:
    Error error_;
};

/// A command line that cannot work (exit code 2).
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

template <class T>
T unwrap(Result<T> r) {
    if (!r) throw CommandError(std::move(r).error());
    return std::move(r).value();
}
inline void unwrap(Status s) {
    if (!s) throw CommandError(std::move(s).error());
}

class Context {
public:
    explicit Context(GlobalOptions& options) : options_(options) {}

    const GlobalOptions& options() const noexcept { return options_; }
    bool json() const noexcept { return options_.json; }

    /// Opens the engine on first use: creates the data directory (0700),
    /// opens storage and the key ring, and tells the user on stderr when a
    /// new key file was generated.
    Engine& engine();

    /// Finds an account by numeric id or by username (an all-digit argument
    /// is tried as an id first, then as a username).
    Account find_account(std::string_view id_or_username);

private:
    GlobalOptions& options_;
    std::unique_ptr<Engine> engine_;
};

}  // namespace gramkit::cli
