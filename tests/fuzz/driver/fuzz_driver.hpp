// The driver that runs a libFuzzer-style target without libFuzzer (g++
// builds, CI): it replays every corpus file through the target, then runs a
// bounded number of deterministic, seeded mutations of them. Shared by every
// fuzz target in tests/fuzz/ (each keeps only its target and its tokens).
//
//   <target> [--runs N] [--seed S] [--max-len L] [target flags] CORPUS_DIR_OR_FILE...
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gramkit::fuzz {

/// splitmix64: small, fast, and the same sequence everywhere.
struct Rng {
    std::uint64_t state;
    std::uint64_t next() {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }
};

using Target = int (*)(const std::uint8_t* data, std::size_t size);

struct DriverConfig {
    const char* name = "fuzz";               // for messages: "<name>: cannot read ..."
    std::size_t default_max_len = 4096;      // --max-len default
    std::span<const char* const> dictionary;  // tokens inserted by mutations
    std::size_t max_nesting = 200;           // longest run of '[' / '{' a mutation inserts
    /// A target-specific mutation (e.g. replace one JSON value), chosen for
    /// about one step in six; empty = none.
    std::function<void(std::string& input, Rng& rng)> extra_mutation;
    /// A target flag without value (e.g. "--verbose"): return true if taken.
    std::function<bool(std::string_view flag)> extra_flag;
    /// Called after the corpus replay and at the end, to print statistics.
    std::function<void(std::size_t corpus_files)> after_replay;
    std::function<void()> at_end;
};

/// One mutation of a random corpus entry (1–4 steps), at most max_len bytes.
std::string mutate(const std::vector<std::string>& corpus, Rng& rng, std::size_t max_len, const DriverConfig& config);

/// Runs the driver; returns the process exit code (2 for a bad command
/// line or an unreadable/empty corpus). A violation aborts inside `target`.
int run_driver(int argc, char** argv, Target target, const DriverConfig& config);

}  // namespace gramkit::fuzz
