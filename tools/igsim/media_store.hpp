// igsim — media file bytes by URL name, generated on demand and kept in a
// small cache (a download test fetches the same file several times with
// Range requests). Thread-safe.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "world.hpp"

namespace igsim {

struct MediaFile {
    std::shared_ptr<const std::string> bytes;
    std::string content_type;
};

class MediaStore {
public:
    explicit MediaStore(const World& world) : world_(world) {}

    /// `name` is the last path segment: "<pk>.png" (any post or carousel
    /// child; for videos the poster frame), "<pk>.jpg" (same bytes),
    /// "<pk>.mp4" (videos only) or "u<user id>.png" (profile picture).
    /// nullopt when nothing has that name.
    std::optional<MediaFile> find(std::string_view name);

private:
    static constexpr std::size_t kCacheEntries = 64;
    const World& world_;
    std::mutex mutex_;
    std::map<std::string, MediaFile, std::less<>> cache_;
    std::deque<std::string> order_;  // oldest first, for eviction
};

}  // namespace igsim
