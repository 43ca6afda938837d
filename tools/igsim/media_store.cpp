// igsim — media file lookup and generation (see media_store.hpp).
#include "media_store.hpp"

#include "media_files.hpp"
#include "rng.hpp"

namespace igsim {

std::optional<MediaFile> MediaStore::find(std::string_view name) {
    {
        std::lock_guard lock(mutex_);
        if (auto it = cache_.find(name); it != cache_.end()) return it->second;
    }
    const auto dot = name.rfind('.');
    if (dot == std::string_view::npos || dot == 0) return std::nullopt;
    const auto stem = name.substr(0, dot), ext = name.substr(dot + 1);
    const std::uint64_t seed = world_.options().seed;
    MediaFile file;
    if (stem.starts_with('u')) {
        if (ext != "png" && ext != "jpg") return std::nullopt;
        if (!world_.find_user_by_id(stem.substr(1))) return std::nullopt;
        file.bytes = std::make_shared<const std::string>(make_png(derive_seed(seed, stem), 150, 150));
        file.content_type = "image/png";
    } else {
        const MediaItem* item = world_.find_media(stem);
        if (!item) return std::nullopt;
        if (ext == "png" || ext == "jpg") {
            // Generated pixels are PNG whatever the extension; the type says so.
            file.bytes = std::make_shared<const std::string>(
                make_png(derive_seed(seed, "image:" + item->pk), item->width, item->height));
            file.content_type = "image/png";
        } else if (ext == "mp4" && item->kind == MediaKind::video) {
            file.bytes = std::make_shared<const std::string>(
                make_mp4(derive_seed(seed, "video:" + item->pk), item->width, item->height, item->video_duration));
            file.content_type = "video/mp4";
        } else {
            return std::nullopt;
        }
    }
    std::lock_guard lock(mutex_);
    if (cache_.emplace(std::string(name), file).second) {
        order_.emplace_back(name);
        if (order_.size() > kCacheEntries) {
            cache_.erase(order_.front());
            order_.pop_front();
        }
    }
    return file;
}

}  // namespace igsim
