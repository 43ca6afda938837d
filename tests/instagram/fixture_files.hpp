// Loading test bodies: the project's own fixtures (tests/instagram/fixtures)
// and the shared corpus of real captures (GRAMKIT_IG_FIXTURES, else the
// compiled-in default ../shared/fixtures/instagram).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace gramkit::instagram::testing {

inline std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());  // a broken test setup, not a parser result
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::string own_fixture(std::string_view name) {
    return read_file(std::filesystem::path(GRAMKIT_IG_OWN_FIXTURES) / name);
}

/// The shared corpus folder, or nullopt when it is absent (a fresh clone
/// without ../shared).
inline std::optional<std::filesystem::path> shared_fixture_dir() {
    const char* env = std::getenv("GRAMKIT_IG_FIXTURES");
    std::filesystem::path dir = (env != nullptr && *env != '\0') ? env : GRAMKIT_IG_SHARED_FIXTURES;
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) return std::nullopt;
    return dir;
}

}  // namespace gramkit::instagram::testing
