// Shared pieces of the benchmark programs (not a benchmark itself: the
// CMake glob only picks up *.cpp).
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace gramkit::bench {

/// Benchmarks stop on a setup failure: a measurement of a broken setup is
/// worse than none.
[[noreturn]] inline void die(const std::string& what) { throw std::runtime_error(what); }

/// A fresh directory under the system temp dir, removed with everything in
/// it when the object goes.
class TempDir {
public:
    explicit TempDir(const std::string& prefix = "gramkit-bench") {
        std::string pattern = (std::filesystem::temp_directory_path() / (prefix + ".XXXXXX")).string();
        if (::mkdtemp(pattern.data()) == nullptr)
            throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const noexcept { return path_; }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

}  // namespace gramkit::bench
