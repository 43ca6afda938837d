// The parsers against the project's own small fixtures (tests/instagram/
// fixtures/): every supported shape, with exact field values.
#include <gtest/gtest.h>

#include "fixture_files.hpp"
#include "instagram/parse.hpp"

namespace gramkit::instagram {
namespace {

using testing::own_fixture;
using Strings = std::vector<std::string>;

Timestamp at_seconds(std::int64_t s) { return Timestamp{std::chrono::seconds(s)}; }

TEST(OwnFixtures, GraphqlProfileWithPosts) {
    const auto r = parse_web_profile_info(own_fixture("profile_graphql.json"));
    ASSERT_TRUE(r) << r.error().to_string();
    const Profile& p = *r;
    EXPECT_EQ(p.id, "9007199254740993");  // 2^53 + 1: must not pass through a double
    EXPECT_EQ(p.username, "zoe.cafe");
    EXPECT_EQ(p.full_name, "Zoë Q.");
    EXPECT_EQ(p.biography, "Café owner \u2615 #espresso lover, ask @barista.bob");
    EXPECT_EQ(p.followers, 12345);
    EXPECT_EQ(p.following, 67);
    EXPECT_EQ(p.post_count, 3);
    EXPECT_FALSE(p.is_private);
    EXPECT_TRUE(p.is_verified);
    EXPECT_EQ(p.profile_pic_url, "https://cdn.example/pic_hd.jpg");  // HD preferred
    EXPECT_EQ(p.external_url, "https://example.com/menu");

    const PostsPage& page = p.recent_posts;
    EXPECT_TRUE(page.has_next);
    EXPECT_EQ(page.next_cursor, "QVFDcursor==");
    ASSERT_EQ(page.items.size(), 3u);

    const Post& image = page.items[0];
    EXPECT_EQ(image.id, "3000000000000000001");
    EXPECT_EQ(image.shortcode, "Cimage1");
    EXPECT_EQ(image.owner_id, "9007199254740993");
    EXPECT_EQ(image.owner_username, "zoe.cafe");
    EXPECT_EQ(image.taken_at, at_seconds(1700000000));
    EXPECT_EQ(image.caption, "Morning #coffee at #Café_Noir with @anna_b. #coffee again");
    EXPECT_EQ(image.hashtags, (Strings{"coffee", "Café_Noir"}));
    EXPECT_EQ(image.mentions, (Strings{"anna_b"}));
    EXPECT_EQ(image.like_count, 321);
    EXPECT_EQ(image.comment_count, 4);
    EXPECT_EQ(image.media_type, MediaType::image);
    EXPECT_FALSE(image.is_video);
    ASSERT_EQ(image.media.size(), 1u);
    EXPECT_EQ(image.media[0], (MediaUrl{"https://cdn.example/p1_1080.jpg", 1080, 1350, MediaKind::image}));

    const Post& video = page.items[1];
    EXPECT_EQ(video.media_type, MediaType::video);
    EXPECT_TRUE(video.is_video);
    EXPECT_EQ(video.caption, "");
    EXPECT_TRUE(video.hashtags.empty());
    EXPECT_EQ(video.like_count, 10);
    ASSERT_EQ(video.media.size(), 1u);
    EXPECT_EQ(video.media[0], (MediaUrl{"https://cdn.example/p2.mp4", 1080, 1920, MediaKind::video}));

    const Post& sidecar = page.items[2];
    EXPECT_EQ(sidecar.media_type, MediaType::carousel);
    EXPECT_FALSE(sidecar.is_video);
    EXPECT_FALSE(sidecar.owner_username.has_value());
    ASSERT_EQ(sidecar.media.size(), 2u);
    EXPECT_EQ(sidecar.media[0], (MediaUrl{"https://cdn.example/p3_a.jpg", 1080, 1080, MediaKind::image}));
    EXPECT_EQ(sidecar.media[1], (MediaUrl{"https://cdn.example/p3_b.mp4", 720, 1280, MediaKind::video}));
}

TEST(OwnFixtures, PrivateApiUserInfoProfile) {
    const auto r = parse_web_profile_info(own_fixture("profile_v1_user_info.json"));
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->id, "18446744073709551615");  // UINT64_MAX as a JSON number
    EXPECT_EQ(r->username, "big.id");
    EXPECT_EQ(r->followers, 5);
    EXPECT_EQ(r->following, 6);
    EXPECT_EQ(r->post_count, 7);
    EXPECT_TRUE(r->is_private);
    EXPECT_EQ(r->profile_pic_url, "https://cdn.example/hd.jpg");
    EXPECT_FALSE(r->external_url.has_value());  // "" counts as absent
    EXPECT_TRUE(r->recent_posts.items.empty());
}

TEST(OwnFixtures, NullUserIsNotFound) {
    const auto r = parse_web_profile_info(own_fixture("profile_user_null.json"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::not_found);
    EXPECT_EQ(r.error().details, "data.user");
}

TEST(OwnFixtures, GraphqlTimelineLastPage) {
    const auto r = parse_user_timeline(own_fixture("timeline_graphql_last_page.json"));
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_FALSE(r->has_next);
    EXPECT_FALSE(r->next_cursor.has_value());
    ASSERT_EQ(r->items.size(), 1u);
    const Post& p = r->items[0];
    EXPECT_EQ(p.id, "41");
    EXPECT_EQ(p.shortcode, "Clast1");
    EXPECT_EQ(p.owner_username, "seven");
    EXPECT_EQ(p.hashtags, (Strings{"один", "два"}));
    EXPECT_EQ(p.mentions, (Strings{"ok_name"}));  // Cyrillic is no username character
    EXPECT_EQ(p.like_count, 1);
    EXPECT_EQ(p.comment_count, 2);
}

TEST(OwnFixtures, XdtTimeline2024) {
    const auto r = parse_user_timeline(own_fixture("timeline_xdt_2024.json"));
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_TRUE(r->has_next);
    EXPECT_EQ(r->next_cursor, "3300000000000000002_555");
    ASSERT_EQ(r->items.size(), 2u);

    const Post& video = r->items[0];
    EXPECT_EQ(video.id, "3300000000000000001");  // pk, not "<pk>_<owner>"
    EXPECT_EQ(video.shortcode, "Xvideo1");
    EXPECT_EQ(video.owner_id, "555");
    EXPECT_EQ(video.owner_username, "dancer");
    EXPECT_EQ(video.taken_at, at_seconds(1709000000));
    EXPECT_EQ(video.hashtags, (Strings{"reels", "fyp"}));  // #Reels is a duplicate of #reels
    EXPECT_EQ(video.like_count, 1000);
    EXPECT_EQ(video.comment_count, 20);
    EXPECT_EQ(video.media_type, MediaType::video);
    ASSERT_EQ(video.media.size(), 1u);
    EXPECT_EQ(video.media[0], (MediaUrl{"https://cdn.example/v1_720.mp4", 720, 1280, MediaKind::video}));

    const Post& carousel = r->items[1];
    EXPECT_EQ(carousel.id, "3300000000000000002");  // "id" came before "pk": pk still wins
    EXPECT_EQ(carousel.caption, "");                // caption: null
    EXPECT_EQ(carousel.media_type, MediaType::carousel);
    ASSERT_EQ(carousel.media.size(), 2u);
    EXPECT_EQ(carousel.media[0], (MediaUrl{"https://cdn.example/c1_1080.jpg", 1080, 1350, MediaKind::image}));
    EXPECT_EQ(carousel.media[1], (MediaUrl{"https://cdn.example/c2.mp4", 720, 1280, MediaKind::video}));
}

TEST(OwnFixtures, PrivateApiFeed) {
    const auto r = parse_user_timeline(own_fixture("timeline_v1_feed.json"));
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_TRUE(r->has_next);
    EXPECT_EQ(r->next_cursor, "3400000000000000001_77");
    ASSERT_EQ(r->items.size(), 1u);
    EXPECT_EQ(r->items[0].id, "3400000000000000001");  // numeric pk kept exactly
    EXPECT_EQ(r->items[0].owner_id, "77");
    EXPECT_EQ(r->items[0].caption, "plain text");
    EXPECT_EQ(r->items[0].media[0].width, 1440);
}

TEST(OwnFixtures, MediaInfoPicksLargestVideo) {
    const auto r = parse_media_info(own_fixture("media_info_v1_video.json"));
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->id, "2800000000000000001");
    EXPECT_EQ(r->shortcode, "Mvideo1");
    EXPECT_EQ(r->owner_username, "maker");
    EXPECT_EQ(r->taken_at, at_seconds(1650000000));
    EXPECT_EQ(r->like_count, 42);
    EXPECT_EQ(r->comment_count, 5);
    EXPECT_TRUE(r->is_video);
    ASSERT_EQ(r->media.size(), 1u);
    EXPECT_EQ(r->media[0], (MediaUrl{"https://cdn.example/m_1080.mp4", 1080, 1920, MediaKind::video}));
    EXPECT_EQ(r->hashtags, (Strings{"Film", "filmmakingé"}));
    EXPECT_EQ(r->mentions, (Strings{"studio.x"}));  // the sentence's full stop is not part of it
}

TEST(OwnFixtures, GraphqlShortcodeSidecar) {
    const auto r = parse_shortcode_media(own_fixture("shortcode_graphql_sidecar.json"));
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->id, "1700000000000000000");
    EXPECT_EQ(r->shortcode, "Sside1");
    EXPECT_EQ(r->caption, "Trip \U0001F30B #Iceland @guide_jo");
    EXPECT_EQ(r->hashtags, (Strings{"Iceland"}));
    EXPECT_EQ(r->mentions, (Strings{"guide_jo"}));
    EXPECT_EQ(r->comment_count, 9);
    EXPECT_EQ(r->like_count, 14);
    EXPECT_EQ(r->owner_id, "366");
    EXPECT_EQ(r->media_type, MediaType::carousel);
    ASSERT_EQ(r->media.size(), 2u);
    // display_url (1080) beats the smaller display_resources entry.
    EXPECT_EQ(r->media[0], (MediaUrl{"https://cdn.example/s_a.jpg", 1080, 1080, MediaKind::image}));
    EXPECT_EQ(r->media[1], (MediaUrl{"https://cdn.example/s_b.mp4", 1080, 1920, MediaKind::video}));
}

TEST(OwnFixtures, XdtShortcodeMedia) {
    const auto r = parse_shortcode_media(own_fixture("shortcode_xdt.json"));
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->shortcode, "Xsc1");
    EXPECT_EQ(r->media_type, MediaType::video);
    ASSERT_EQ(r->media.size(), 1u);
    EXPECT_EQ(r->media[0], (MediaUrl{"https://cdn.example/x.mp4", 720, 1280, MediaKind::video}));
    EXPECT_EQ(r->comment_count, 1);
    EXPECT_EQ(r->owner_username, "eight");
}

TEST(OwnFixtures, GraphqlHashtag) {
    const auto r = parse_hashtag(own_fixture("hashtag_graphql.json"));
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->name, "paris");
    EXPECT_EQ(r->media_count, 125783288);
    EXPECT_EQ(r->next_cursor, "HASHcursor");
    EXPECT_TRUE(r->has_next);
    ASSERT_EQ(r->recent_posts.size(), 1u);
    EXPECT_EQ(r->recent_posts[0].shortcode, "Hrecent1");
    EXPECT_EQ(r->recent_posts[0].hashtags, (Strings{"paris", "france"}));
    EXPECT_EQ(r->recent_posts[0].like_count, 4);
    ASSERT_EQ(r->top_posts.size(), 2u);
    EXPECT_EQ(r->top_posts[1].shortcode, "Htop2");
    EXPECT_EQ(r->top_posts[1].owner_id, "13");
}

TEST(OwnFixtures, TagsWebInfo) {
    const auto r = parse_hashtag(own_fixture("hashtag_web_info.json"));
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->name, "asiangames2023");
    EXPECT_EQ(r->media_count, 75586);
    // Document order: the clips strip, the fill items, then the grid rows.
    ASSERT_EQ(r->top_posts.size(), 3u);
    EXPECT_EQ(r->top_posts[0].shortcode, "Wclip1");
    EXPECT_EQ(r->top_posts[0].media[0], (MediaUrl{"https://cdn.example/w1.mp4", 720, 1280, MediaKind::video}));
    EXPECT_EQ(r->top_posts[1].shortcode, "Wfill2");
    EXPECT_EQ(r->top_posts[2].shortcode, "Wgrid3");
    EXPECT_EQ(r->top_posts[2].hashtags, (Strings{"AsianGames2023"}));
    ASSERT_EQ(r->recent_posts.size(), 1u);
    EXPECT_EQ(r->recent_posts[0].owner_username, "four");
    // The recent list has its own cursor, so it is the one to page on.
    EXPECT_EQ(r->next_cursor, "RECENTcursor");
    EXPECT_FALSE(r->has_next);
}

}  // namespace
}  // namespace gramkit::instagram
