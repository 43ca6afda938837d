// igsim — world generation. Every draw goes through Rng streams derived
// from the seed, in a fixed order, so the world is reproducible.
#include "world.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

#include "rng.hpp"

namespace igsim {
namespace {

constexpr std::array kFirstNames{"anna", "ben", "carla", "dev", "elif", "farid", "greta", "hugo", "ines", "jonas",
                                 "kemal", "lena", "marco", "nora", "oscar", "priya", "quinn", "rosa", "sami", "tara",
                                 "uma", "viktor", "wen", "xavi", "yara", "zoe"};
constexpr std::array kLastNames{"miller", "rossi", "kaya", "nguyen", "garcia", "schmidt", "dubois", "tanaka",
                                "silva", "novak", "larsen", "okafor", "haddad", "kowalski", "moreau", "ivanova"};
constexpr std::array kWords{"morning", "light", "walk", "city", "coast", "market", "street", "friends", "weekend",
                            "garden", "river", "mountain", "bread", "colours", "quiet", "road", "window", "rain",
                            "old", "new", "favourite", "little", "golden", "blue"};
constexpr std::array kBioLines{"Photographer and coffee addict", "Exploring one city at a time",
                               "Home cook \u2022 recipes in highlights", "Plants, books and long walks",
                               "Chasing sunsets \u2600\ufe0f", "Designer. Runner. Dog person \U0001F415"};
constexpr std::array kCategories{"Artist", "Photographer", "Blogger", "Chef", "Travel Company", "Musician/Band"};
constexpr std::array kEmoji{"", "", " \u2728", " \U0001F60D", " \u2600\ufe0f", " \U0001F30A"};

// Instagram ids embed time: milliseconds since its epoch, shifted left 23 bits.
constexpr std::int64_t kInstagramEpochMs = 1314220021721;

template <class Array>
const char* pick(Rng& rng, const Array& options) {
    return options[rng.next() % options.size()];
}

std::string digits(Rng& rng, int length) {
    std::string out(1, static_cast<char>('1' + rng.next() % 9));
    while (static_cast<int>(out.size()) < length) out += static_cast<char>('0' + rng.next() % 10);
    return out;
}

// Pixel sizes are small on purpose (serving and hashing stay cheap) but vary
// like Instagram's aspect ratios: square, 4:5 portrait, landscape, 9:16 video.
void pick_dimensions(Rng& rng, MediaItem& item) {
    static constexpr std::array kWidths{240, 320, 480};
    const int w = kWidths[rng.next() % kWidths.size()];
    if (item.kind == MediaKind::video) {
        item.width = w;
        item.height = w * 16 / 9;
        return;
    }
    switch (rng.next() % 3) {
        case 0: item.width = w; item.height = w; break;
        case 1: item.width = w; item.height = w * 5 / 4; break;
        default: item.width = w; item.height = w * 9 / 16; break;
    }
}

}  // namespace

std::string World::shortcode_for(std::uint64_t pk) {
    static constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    do {
        out.insert(out.begin(), kAlphabet[pk % 64]);
        pk /= 64;
    } while (pk != 0);
    return out;
}

World::World(WorldOptions options) : options_(std::move(options)) {
    if (options_.users < 1 || options_.users > 100000) throw std::invalid_argument("users must be between 1 and 100000");
    if (options_.posts_per_user < 0 || options_.posts_per_user > 10000)
        throw std::invalid_argument("posts-per-user must be between 0 and 10000");
    if (options_.hashtags.empty()) throw std::invalid_argument("at least one hashtag is needed");
    for (auto& tag : options_.hashtags) {
        std::ranges::transform(tag, tag.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (tag.empty()) throw std::invalid_argument("hashtags must not be empty");
    }
    generate_users();
    generate_posts();
    index_hashtags();
}

void World::generate_users() {
    Rng rng(derive_seed(options_.seed, "users"));
    static constexpr std::array kIdLengths{8, 9, 10, 10, 11, 11, 17, 19};
    users_.reserve(static_cast<std::size_t>(options_.users));
    for (int i = 0; i < options_.users; ++i) {
        User u;
        do {
            u.id = digits(rng, kIdLengths[rng.next() % kIdLengths.size()]);
        } while (user_by_id_.contains(u.id));
        const std::string first = pick(rng, kFirstNames);
        const std::string last = pick(rng, kLastNames);
        static constexpr std::array kSeparators{".", "_", ""};
        u.username = first + pick(rng, kSeparators) + last;
        if (rng.chance(50)) u.username += std::to_string(rng.between(1, 99));
        // Usernames are unique: append the index on a collision.
        if (user_by_name_.contains(u.username)) u.username += "_" + std::to_string(i);
        u.full_name = first + " " + last;
        u.full_name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(u.full_name[0])));
        u.full_name[first.size() + 1] = static_cast<char>(std::toupper(static_cast<unsigned char>(last[0])));
        u.biography = pick(rng, kBioLines);
        if (rng.chance(30)) u.external_url = "https://example.com/" + u.username;
        u.fbid = "1784" + digits(rng, 13);
        // Follower counts are heavy-tailed, as on Instagram.
        const auto scale = rng.between(0, 4);
        u.followers = static_cast<std::int64_t>(rng.between(10, 999) * std::array{1, 10, 100, 1000, 50000}[scale]);
        u.following = static_cast<std::int64_t>(rng.between(0, 2000));
        u.is_verified = scale == 4;
        u.is_private = rng.chance(5);
        u.is_business = rng.chance(25);
        u.category = pick(rng, kCategories);
        user_by_name_.emplace(u.username, users_.size());
        user_by_id_.emplace(u.id, users_.size());
        users_.push_back(std::move(u));
    }
}

void World::generate_posts() {
    Rng rng(derive_seed(options_.seed, "posts"));
    posts_.reserve(users_.size() * static_cast<std::size_t>(options_.posts_per_user));
    for (std::size_t ui = 0; ui < users_.size(); ++ui) {
        User& user = users_[ui];
        std::int64_t t = options_.epoch - static_cast<std::int64_t>(rng.between(0, 86400));
        for (int p = 0; p < options_.posts_per_user; ++p) {
            Post post;
            post.owner_id = user.id;
            post.taken_at = t;
            t -= static_cast<std::int64_t>(rng.between(3600, 5 * 86400));

            // Same layout as real ids: time | shard (user) | sequence.
            const auto ms = static_cast<std::uint64_t>(post.taken_at * 1000 - kInstagramEpochMs);
            std::uint64_t pk = (ms << 23) | ((ui % 8192) << 10);
            while (post_by_pk_.contains(std::to_string(pk))) pk += 64;  // never collides in practice
            post.pk = std::to_string(pk);
            post.shortcode = shortcode_for(pk);

            const auto kind_roll = rng.next() % 10;
            post.kind = kind_roll < 6 ? MediaKind::image : kind_roll < 8 ? MediaKind::video : MediaKind::carousel;
            if (post.kind == MediaKind::carousel) {
                const auto n = rng.between(2, 5);
                for (std::uint64_t c = 1; c <= n; ++c) {
                    MediaItem child;
                    child.pk = std::to_string(pk + c);
                    child.kind = rng.chance(25) ? MediaKind::video : MediaKind::image;
                    pick_dimensions(rng, child);
                    if (child.kind == MediaKind::video) child.video_duration = static_cast<double>(rng.between(30, 600)) / 10.0;
                    post.children.push_back(std::move(child));
                }
                post.cover = post.children.front();
                post.cover.pk = post.pk;
            } else {
                post.cover.pk = post.pk;
                post.cover.kind = post.kind;
                pick_dimensions(rng, post.cover);
                if (post.kind == MediaKind::video) post.cover.video_duration = static_cast<double>(rng.between(30, 600)) / 10.0;
            }

            // Caption: a few words, hashtags and sometimes mentions of other users.
            std::string caption = pick(rng, kWords);
            caption[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(caption[0])));
            for (auto w = rng.between(2, 6); w > 0; --w) caption += std::string(" ") + pick(rng, kWords);
            caption += pick(rng, kEmoji);
            if (users_.size() > 1 && rng.chance(40)) {
                for (auto m = rng.between(1, 2); m > 0; --m) {
                    const auto& other = users_[rng.next() % users_.size()];
                    if (other.id == user.id ||
                        std::ranges::find(post.mentions, other.username) != post.mentions.end())
                        continue;
                    post.mentions.push_back(other.username);
                    caption += " @" + other.username;
                }
            }
            caption += "\n.\n";
            for (auto h = rng.between(1, std::min<std::uint64_t>(3, options_.hashtags.size())); h > 0; --h) {
                const auto& tag = options_.hashtags[rng.next() % options_.hashtags.size()];
                if (std::ranges::find(post.hashtags, tag) != post.hashtags.end()) continue;
                post.hashtags.push_back(tag);
                caption += " #" + tag;
            }
            post.caption = std::move(caption);
            post.caption_pk = "1798" + digits(rng, 13);
            post.like_count = static_cast<std::int64_t>(rng.between(0, static_cast<std::uint64_t>(user.followers / 5 + 10)));
            post.comment_count = static_cast<std::int64_t>(rng.between(0, static_cast<std::uint64_t>(post.like_count / 20 + 2)));
            if (post.kind == MediaKind::video) post.view_count = post.like_count * static_cast<std::int64_t>(rng.between(3, 20));
            post.cover.accessibility_caption = "Photo by " + user.full_name + ".";

            post_by_pk_.emplace(post.pk, posts_.size());
            post_by_shortcode_.emplace(post.shortcode, posts_.size());
            user.posts.push_back(posts_.size());
            posts_.push_back(std::move(post));
        }
    }
    // Index media files only now: posts_ no longer reallocates.
    for (const auto& post : posts_) {
        media_by_pk_.emplace(post.pk, &post.cover);
        for (const auto& child : post.children) media_by_pk_.emplace(child.pk, &child);
    }
}

void World::index_hashtags() {
    Rng rng(derive_seed(options_.seed, "hashtags"));
    for (const auto& name : options_.hashtags) {
        if (hashtag_by_name_.contains(name)) continue;
        Hashtag tag;
        tag.name = name;
        tag.id = "178415" + digits(rng, 11);
        for (std::size_t i = 0; i < posts_.size(); ++i)
            if (std::ranges::find(posts_[i].hashtags, name) != posts_[i].hashtags.end()) tag.recent.push_back(i);
        // Ties broken by pk so the order is total and reproducible.
        std::ranges::sort(tag.recent, [&](std::size_t a, std::size_t b) {
            if (posts_[a].taken_at != posts_[b].taken_at) return posts_[a].taken_at > posts_[b].taken_at;
            return posts_[a].pk > posts_[b].pk;
        });
        tag.top = tag.recent;
        std::ranges::stable_sort(tag.top, [&](std::size_t a, std::size_t b) {
            return posts_[a].like_count > posts_[b].like_count;
        });
        hashtag_by_name_.emplace(name, hashtags_.size());
        hashtags_.push_back(std::move(tag));
    }
}

const User* World::find_user_by_name(std::string_view username) const {
    auto it = user_by_name_.find(std::string(username));
    return it == user_by_name_.end() ? nullptr : &users_[it->second];
}

const User* World::find_user_by_id(std::string_view id) const {
    auto it = user_by_id_.find(std::string(id));
    return it == user_by_id_.end() ? nullptr : &users_[it->second];
}

const Post* World::find_post_by_pk(std::string_view media_id) const {
    const auto underscore = media_id.find('_');
    auto it = post_by_pk_.find(std::string(media_id.substr(0, underscore)));
    if (it == post_by_pk_.end()) return nullptr;
    const Post& post = posts_[it->second];
    if (underscore != std::string_view::npos && media_id.substr(underscore + 1) != post.owner_id) return nullptr;
    return &post;
}

const Post* World::find_post_by_shortcode(std::string_view shortcode) const {
    auto it = post_by_shortcode_.find(std::string(shortcode));
    return it == post_by_shortcode_.end() ? nullptr : &posts_[it->second];
}

const Hashtag* World::find_hashtag(std::string_view name) const {
    std::string lower(name);
    std::ranges::transform(lower, lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto it = hashtag_by_name_.find(lower);
    return it == hashtag_by_name_.end() ? nullptr : &hashtags_[it->second];
}

const MediaItem* World::find_media(std::string_view pk) const {
    auto it = media_by_pk_.find(std::string(pk));
    return it == media_by_pk_.end() ? nullptr : it->second;
}

const User& World::owner_of(const Post& post) const { return *find_user_by_id(post.owner_id); }

}  // namespace igsim
