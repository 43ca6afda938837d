// igsim — the generated world: users, their posts, hashtags.
//
// The world is a pure function of WorldOptions: the same seed always yields
// the same ids, names, captions, counts and media, so bodies are
// byte-identical across runs. It is immutable after construction and may be
// read from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace igsim {

struct WorldOptions {
    std::uint64_t seed = 1;
    int users = 20;
    int posts_per_user = 30;
    std::vector<std::string> hashtags{"travel", "food", "nature", "paris", "sunset", "coffee"};
    /// Newest post time; posts go back in time from here (fixed, not "now",
    /// so bodies do not change with the wall clock).
    std::int64_t epoch = 1700000000;
};

enum class MediaKind { image = 1, video = 2, carousel = 8 };  // Instagram's media_type values

/// One image or video file (a post, or a carousel child).
struct MediaItem {
    std::string pk;  // numeric id as a string
    MediaKind kind = MediaKind::image;
    int width = 0;
    int height = 0;
    double video_duration = 0;  // videos only
    std::string accessibility_caption;
};

struct Post {
    std::string pk;         // 19 digits
    std::string shortcode;  // pk in Instagram's base64 alphabet
    std::string owner_id;
    MediaKind kind = MediaKind::image;
    MediaItem cover;                  // the post's own media (first child for carousels)
    std::vector<MediaItem> children;  // carousels only
    std::string caption;
    std::string caption_pk;
    std::vector<std::string> hashtags;  // lower-case, without '#'
    std::vector<std::string> mentions;  // usernames, without '@'
    std::int64_t taken_at = 0;
    std::int64_t like_count = 0;
    std::int64_t comment_count = 0;
    std::int64_t view_count = 0;  // videos only
};

struct User {
    std::string id;  // 8..19 digits
    std::string username;
    std::string full_name;
    std::string biography;
    std::string external_url;  // may be empty
    std::string fbid;
    std::int64_t followers = 0;
    std::int64_t following = 0;
    bool is_private = false;
    bool is_verified = false;
    bool is_business = false;
    std::string category;
    std::vector<std::size_t> posts;  // indexes into World::posts(), newest first
};

struct Hashtag {
    std::string id;
    std::string name;
    std::vector<std::size_t> recent;  // post indexes, newest first
    std::vector<std::size_t> top;     // post indexes, most liked first
};

class World {
public:
    explicit World(WorldOptions options);

    const WorldOptions& options() const noexcept { return options_; }
    const std::vector<User>& users() const noexcept { return users_; }
    const std::vector<Post>& posts() const noexcept { return posts_; }
    const std::vector<Hashtag>& hashtags() const noexcept { return hashtags_; }

    const User* find_user_by_name(std::string_view username) const;
    const User* find_user_by_id(std::string_view id) const;
    /// Accepts "<pk>" and "<pk>_<owner id>".
    const Post* find_post_by_pk(std::string_view media_id) const;
    const Post* find_post_by_shortcode(std::string_view shortcode) const;
    const Hashtag* find_hashtag(std::string_view name) const;
    /// A post or carousel child by its media pk (for /media/<pk>.png).
    const MediaItem* find_media(std::string_view pk) const;
    const User& owner_of(const Post& post) const;

    /// Instagram's shortcode for a numeric media id (base64 alphabet
    /// A-Za-z0-9-_ over the integer).
    static std::string shortcode_for(std::uint64_t pk);

private:
    void generate_users();
    void generate_posts();
    void index_hashtags();

    WorldOptions options_;
    std::vector<User> users_;
    std::vector<Post> posts_;
    std::vector<Hashtag> hashtags_;
    std::unordered_map<std::string, std::size_t> user_by_name_;
    std::unordered_map<std::string, std::size_t> user_by_id_;
    std::unordered_map<std::string, std::size_t> post_by_pk_;
    std::unordered_map<std::string, std::size_t> post_by_shortcode_;
    std::unordered_map<std::string, std::size_t> hashtag_by_name_;
    std::unordered_map<std::string, const MediaItem*> media_by_pk_;
};

}  // namespace igsim
