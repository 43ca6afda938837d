// igsim — deterministic pseudo-randomness.
//
// Everything igsim generates (the world, media bytes, tokens) must be the
// same for the same --seed, on every machine and compiler, so tests and
// benchmarks are reproducible. std::mt19937 is portable but the standard
// distributions are not, so igsim uses SplitMix64 and its own range helpers.
#pragma once

#include <cstdint>
#include <string_view>

namespace igsim {

/// SplitMix64: tiny, fast, and good enough for synthetic data.
class Rng {
public:
    explicit Rng(std::uint64_t seed) noexcept : state_(seed) {}

    std::uint64_t next() noexcept {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    /// Uniform in [lo, hi] (inclusive); the tiny modulo bias is irrelevant here.
    std::uint64_t between(std::uint64_t lo, std::uint64_t hi) noexcept {
        return lo + next() % (hi - lo + 1);
    }
    bool chance(unsigned percent) noexcept { return next() % 100 < percent; }

private:
    std::uint64_t state_;
};

/// Mixes a seed with a label and a number into an independent stream seed,
/// so e.g. the bytes of one image do not depend on how many others exist.
inline std::uint64_t derive_seed(std::uint64_t seed, std::string_view label, std::uint64_t n = 0) noexcept {
    std::uint64_t h = 0xCBF29CE484222325ULL ^ seed;  // FNV-1a over the label
    for (unsigned char c : label) h = (h ^ c) * 0x100000001B3ULL;
    Rng mix(h ^ (n * 0x9E3779B97F4A7C15ULL));
    return mix.next();
}

}  // namespace igsim
