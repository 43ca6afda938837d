// gramkit CLI — reading secrets (passwords, TOTP seeds, proxy URLs with a
// password). Secrets never come from argv, which other users can read in
// /proc: on a terminal they are typed at a prompt with echo off, otherwise
// read as one line from stdin (a pipe or a file).
#pragma once

#include <string>
#include <string_view>

namespace gramkit::cli {

/// True if stdin is a terminal.
bool stdin_is_terminal();

/// Reads one secret. On a terminal: shows `prompt` on stderr, reads with
/// echo off, and when `confirm` asks a second time and requires both to
/// match. Otherwise: reads one line from stdin (the trailing "\n" or "\r\n"
/// removed). `what` names the secret in errors. Throws CommandError on end
/// of input or an empty secret.
std::string read_secret(std::string_view what, std::string_view prompt, bool confirm);

/// Reads all of stdin (for `-` file arguments).
std::string read_all_stdin();

/// Overwrites the bytes of a string that held a secret, then clears it.
void wipe(std::string& secret) noexcept;

}  // namespace gramkit::cli
