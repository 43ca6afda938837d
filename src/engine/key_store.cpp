#include "engine/key_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace gramkit::engine {
namespace {

std::string errno_text() { return std::strerror(errno); }

Status write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        auto n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail(ErrorCode::unavailable, "cannot write key file: " + errno_text());
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

}  // namespace

Status write_key_file(const std::string& path, const crypto::KeyRing& keys) {
    const std::string tmp = path + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return fail(ErrorCode::unavailable, "cannot create key file " + tmp + ": " + errno_text());
    ::fchmod(fd, 0600);  // O_CREAT's mode is masked by umask; be explicit
    std::string text = "# gramkit key file: one key per line, \"<key-id> <base64 key>\", newest last.\n"
                       "# Keep it secret and keep a backup: without it stored secrets cannot be read.\n" +
                       keys.to_key_file();
    auto written = write_all(fd, text);
    std::fill(text.begin(), text.end(), '\0');
    if (written && ::fsync(fd) != 0) written = fail(ErrorCode::unavailable, "cannot sync key file: " + errno_text());
    ::close(fd);
    if (!written) {
        ::unlink(tmp.c_str());
        return written;
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        ::unlink(tmp.c_str());
        return fail(ErrorCode::unavailable, "cannot replace key file " + path + ": " + errno_text());
    }
    return {};
}

Result<std::unique_ptr<crypto::KeyRing>> load_or_create_key_file(const std::string& path, Logger& log) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno != ENOENT) return fail(ErrorCode::unavailable, "cannot read key file " + path + ": " + errno_text());
        auto ring = std::make_unique<crypto::KeyRing>();
        GK_TRY(ring->generate_key("k1"));
        GK_TRY(write_key_file(path, *ring));
        log.warn("vault", "vault.key_file_created",
                 {{"path", path}, {"note", "back this file up: without it stored secrets cannot be decrypted"}});
        return ring;
    }
    if ((st.st_mode & 077) != 0)
        return fail(ErrorCode::failed_precondition,
                    "key file " + path + " is readable by other users; run: chmod 600 " + path);
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(ErrorCode::unavailable, "cannot open key file " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    auto ring = crypto::KeyRing::from_key_file(ss.str());
    if (!ring) return fail(ring.error().code, path + ": " + ring.error().message);
    return ring;
}

Result<std::unique_ptr<crypto::KeyRing>> load_keys_from_env(const std::string& variable) {
    const char* value = std::getenv(variable.c_str());
    if (!value || !*value)
        return fail(ErrorCode::failed_precondition, "environment variable " + variable + " (key_env) is not set");
    std::string text(value);
    std::replace(text.begin(), text.end(), ';', '\n');
    auto ring = crypto::KeyRing::from_key_file(text);
    if (!ring) return fail(ring.error().code, "environment variable " + variable + ": " + ring.error().message);
    return ring;
}

}  // namespace gramkit::engine
