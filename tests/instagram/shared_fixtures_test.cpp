// Every real captured body in the shared corpus (../shared/fixtures/
// instagram, see its MANIFEST.md) parses into the right thing. The values
// checked were read from the files by hand (python3 -m json.tool).
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>

#include "fixture_files.hpp"
#include "instagram/parse.hpp"

namespace gramkit::instagram {
namespace {

using Strings = std::vector<std::string>;

bool contains(const std::vector<std::string>& list, std::string_view item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}
Timestamp at_seconds(std::int64_t s) { return Timestamp{std::chrono::seconds(s)}; }

void check_profile_01(const std::string& body) {
    const auto r = parse_web_profile_info(body);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->id, "1518284433");
    EXPECT_EQ(r->username, "robertdowneyjr");
    EXPECT_EQ(r->full_name, "Robert Downey Jr. Official");
    EXPECT_EQ(r->followers, 52979346);
    EXPECT_EQ(r->following, 5);
    EXPECT_EQ(r->post_count, 419);
    EXPECT_TRUE(r->is_verified);
    EXPECT_FALSE(r->is_private);
    EXPECT_FALSE(r->external_url.has_value());
    EXPECT_TRUE(r->profile_pic_url.starts_with("https://scontent-cdt1-1.cdninstagram.com/"));
    const PostsPage& page = r->recent_posts;
    ASSERT_EQ(page.items.size(), 12u);
    EXPECT_TRUE(page.has_next);
    ASSERT_TRUE(page.next_cursor);
    EXPECT_TRUE(page.next_cursor->starts_with("QVFCdm9FT3NEbDA5WWVQTU1xRHA3TDhJ")) << *page.next_cursor;
    const Post& first = page.items[0];
    EXPECT_EQ(first.shortcode, "CdgUcJGFxkp");
    EXPECT_EQ(first.id, "2837357660084836649");
    EXPECT_EQ(first.media_type, MediaType::video);
    EXPECT_EQ(first.like_count, 2126144);
    EXPECT_EQ(first.comment_count, 8856);
    EXPECT_EQ(first.taken_at, at_seconds(1652459710));
    EXPECT_TRUE(contains(first.mentions, "homecourt"));
    ASSERT_EQ(first.media.size(), 1u);
    EXPECT_EQ(first.media[0].kind, MediaKind::video);
    EXPECT_EQ(first.media[0].width, 640);
    EXPECT_EQ(first.media[0].height, 1138);
    EXPECT_EQ(page.items[1].shortcode, "CdLy2aepGaA");
    EXPECT_EQ(page.items[1].media_type, MediaType::carousel);
    EXPECT_EQ(page.items[1].media.size(), 10u);
    EXPECT_EQ(page.items[3].hashtags, (Strings{"FootPrintCoalition", "EarthDay"}));
}

void check_profile_02(const std::string& body) {
    const auto r = parse_web_profile_info(body);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->id, "528817151");
    EXPECT_EQ(r->username, "nasa");
    EXPECT_EQ(r->followers, 97956738);
    EXPECT_EQ(r->following, 77);
    EXPECT_EQ(r->post_count, 4116);
    EXPECT_EQ(r->external_url, "https://www.nasa.gov/");
    EXPECT_TRUE(r->recent_posts.items.empty());           // the author emptied the edges
    EXPECT_FALSE(r->recent_posts.next_cursor.has_value());  // end_cursor ""
}

void check_timeline_03(const std::string& body) {
    const auto r = parse_user_timeline(body);
    ASSERT_TRUE(r) << r.error().to_string();
    ASSERT_EQ(r->items.size(), 12u);
    EXPECT_TRUE(r->has_next);
    ASSERT_TRUE(r->next_cursor);
    EXPECT_TRUE(r->next_cursor->starts_with("QVFCT1Y3cVc2eDZYQkRldHNGOXkw")) << *r->next_cursor;
    const Post& first = r->items[0];
    EXPECT_EQ(first.shortcode, "B7eUksNFA-K");
    EXPECT_EQ(first.like_count, 695047);
    EXPECT_EQ(first.comment_count, 1939);
    EXPECT_EQ(first.owner_username, "robertdowneyjr");
    EXPECT_TRUE(contains(first.hashtags, "happybirthday"));
    EXPECT_TRUE(contains(first.mentions, "harrycollettactor"));
    EXPECT_EQ(r->items[4].shortcode, "B7XDCBNlds_");
    EXPECT_EQ(r->items[4].media_type, MediaType::carousel);
    EXPECT_EQ(r->items[4].media.size(), 5u);
}

void check_timeline_04(const std::string& body) {
    const auto r = parse_user_timeline(body);
    ASSERT_TRUE(r) << r.error().to_string();
    ASSERT_EQ(r->items.size(), 12u);
    EXPECT_TRUE(r->has_next);
    EXPECT_EQ(r->next_cursor, "3305036909188660917_50269116275");
    const Post& first = r->items[0];
    EXPECT_EQ(first.shortcode, "CygtX9ivC0U");
    EXPECT_EQ(first.id, "3215769692664507668");
    EXPECT_EQ(first.owner_id, "50269116275");
    EXPECT_EQ(first.owner_username, "anasaiaofficial");
    EXPECT_EQ(first.like_count, 817982);
    EXPECT_EQ(first.comment_count, 3000);
    EXPECT_EQ(first.taken_at, at_seconds(1697569769));
    EXPECT_TRUE(contains(first.hashtags, "pelirroja"));
    ASSERT_EQ(first.media.size(), 1u);
    EXPECT_EQ(first.media[0].kind, MediaKind::video);
    EXPECT_EQ(first.media[0].width, 720);
    EXPECT_TRUE(first.media[0].url.find("0F4AD0AD6B0FAB73BCB8802498A94791_video_dashinit.mp4") != std::string::npos);
    EXPECT_EQ(r->items[2].shortcode, "CmaYvrqrNWz");
    EXPECT_EQ(r->items[2].media_type, MediaType::carousel);
    EXPECT_EQ(r->items[2].media.size(), 5u);
}

void check_media_05(const std::string& body) {
    const auto r = parse_media_info(body);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->id, "2317006284167526179");
    EXPECT_EQ(r->shortcode, "CAnqPB-Jzcj");
    EXPECT_EQ(r->owner_id, "305701719");
    EXPECT_EQ(r->owner_username, "jlo");
    EXPECT_EQ(r->like_count, 820750);
    EXPECT_EQ(r->comment_count, 4647);
    EXPECT_EQ(r->taken_at, at_seconds(1590428694));
    EXPECT_EQ(r->hashtags, (Strings{"LetsGetLoud", "MemorialDay"}));
    EXPECT_EQ(r->media_type, MediaType::carousel);
    ASSERT_EQ(r->media.size(), 3u);
    EXPECT_EQ(r->media[0].width, 1440);
    EXPECT_EQ(r->media[1].width, 1242);
}

void check_shortcode_06(const std::string& body) {
    const auto r = parse_shortcode_media(body);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->id, "1656748457443420018");
    EXPECT_EQ(r->shortcode, "Bb98_G4F2dy");
    EXPECT_EQ(r->owner_id, "366997351");
    EXPECT_EQ(r->owner_username, "beverleymarie91");
    EXPECT_EQ(r->like_count, 14);
    EXPECT_EQ(r->comment_count, 1);
    EXPECT_EQ(r->mentions, (Strings{"ls_conditioning"}));
    EXPECT_EQ(r->media_type, MediaType::carousel);
    ASSERT_EQ(r->media.size(), 2u);
    EXPECT_EQ(r->media[0].width, 1080);
}

void check_hashtag_07(const std::string& body) {
    const auto r = parse_hashtag(body);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->name, "paris");
    EXPECT_EQ(r->media_count, 125783288);
    EXPECT_EQ(r->top_posts.size(), 9u);
    ASSERT_EQ(r->recent_posts.size(), 11u);
    EXPECT_TRUE(r->has_next);
    ASSERT_TRUE(r->next_cursor);
    EXPECT_TRUE(r->next_cursor->starts_with("QVFBT3R2dWFOV25OM3ZETXBk")) << *r->next_cursor;
    EXPECT_EQ(r->recent_posts[0].shortcode, "CKtQgmHimX9");
    EXPECT_TRUE(contains(r->recent_posts[0].hashtags, "perrucheondulée"));  // non-ASCII letter inside a tag
}

void check_hashtag_08(const std::string& body) {
    const auto r = parse_hashtag(body);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->name, "asiangames2023");
    EXPECT_EQ(r->media_count, 75586);
    ASSERT_EQ(r->top_posts.size(), 33u);
    EXPECT_TRUE(r->recent_posts.empty());
    EXPECT_EQ(r->next_cursor, "36d4b33e28be4d178b805090dca40b85");
    EXPECT_TRUE(r->has_next);
    const Post& first = r->top_posts[0];
    EXPECT_EQ(first.shortcode, "C0A6TpeSgr4");
    EXPECT_EQ(first.owner_username, "dailyketchup");
    EXPECT_EQ(first.media_type, MediaType::video);
    EXPECT_TRUE(contains(first.hashtags, "asiangames2023"));
}

// An error/login body: its kind at the HTTP status the source reported.
std::function<void(const std::string&)> outcome(int http_status, ApiErrorKind kind,
                                                std::function<void(const LoginResult&)> more = {}) {
    return [=](const std::string& body) {
        const LoginResult r = classify_response(http_status, body);
        EXPECT_EQ(r.kind, kind) << to_string(r.kind) << ": " << r.message;
        if (more) more(r);
    };
}

const std::map<std::string, std::function<void(const std::string&)>>& expectations() {
    static const std::map<std::string, std::function<void(const std::string&)>> table = {
        {"01_profile_web_profile_info_2022_full.json", check_profile_01},
        {"02_profile_web_profile_info_2024_edges_trimmed.json", check_profile_02},
        {"03_posts_graphql_edge_owner_to_timeline_media_2020.json", check_timeline_03},
        {"04_posts_xdt_user_timeline_graphql_connection_2024.json", check_timeline_04},
        {"05_media_api_v1_media_info_items_2022.json", check_media_05},
        {"06_shortcode_media_graphql_sidecar_2017.json", check_shortcode_06},
        {"07_hashtag_graphql_explore_tags_2021.json", check_hashtag_07},
        {"08_hashtag_api_v1_tags_web_info_2024.json", check_hashtag_08},
        {"09_login_ok_web_ajax.json",
         outcome(200, ApiErrorKind::ok, [](const LoginResult& r) { EXPECT_EQ(r.user_id, "123456789"); })},
        {"10_login_bad_password_web_ajax.json", outcome(200, ApiErrorKind::bad_password)},
        {"11_checkpoint_required_web_2021.json",
         outcome(400, ApiErrorKind::checkpoint_required,
                 [](const LoginResult& r) { EXPECT_EQ(r.checkpoint_url, "/challenge/12061502575/atwWXYmeVP/"); })},
        {"12_checkpoint_required_web_pgrimaud.json",
         outcome(400, ApiErrorKind::checkpoint_required,
                 [](const LoginResult& r) { EXPECT_EQ(r.checkpoint_url, "/challenge/624247/lMZI350pJ1/"); })},
        {"13_checkpoint_logged_out_private_api_2018.json",
         outcome(400, ApiErrorKind::checkpoint_required,
                 [](const LoginResult& r) {
                     EXPECT_EQ(r.error_type, "checkpoint_logged_out");
                     EXPECT_TRUE(r.checkpoint_url && r.checkpoint_url->starts_with("https://i.instagram.com/integrity/checkpoint/"));
                 })},
        {"14_two_factor_required_private_api_2017.json",
         outcome(400, ApiErrorKind::two_factor_required,
                 [](const LoginResult& r) {
                     EXPECT_EQ(r.two_factor_identifier, "HS4n5Tjm10");
                     EXPECT_EQ(r.two_factor_methods, std::vector<TwoFactorMethod>{TwoFactorMethod::sms});
                 })},
        {"15_please_wait_web_2023.json", outcome(400, ApiErrorKind::please_wait)},
        {"16_please_wait_require_login_web_401.json", outcome(401, ApiErrorKind::please_wait)},
        {"17_rate_limit_429_private_api_2024.json", outcome(429, ApiErrorKind::rate_limited)},
        {"18_feedback_required_signup_block_private_api_2018.json",
         outcome(400, ApiErrorKind::feedback_required,
                 [](const LoginResult& r) {
                     ASSERT_TRUE(r.feedback_message);
                     EXPECT_TRUE(r.feedback_message->starts_with("Sorry! There\u2019s a problem signing you up"));
                     EXPECT_EQ(r.error_type, "signup_block");
                 })},
        {"19_login_generic_request_error_web.json",
         outcome(200, ApiErrorKind::generic,
                 [](const LoginResult& r) { EXPECT_EQ(r.message, "Sorry, there was a problem with your request."); })},
        {"20_login_required_private_api_2016.json", outcome(403, ApiErrorKind::login_required)},
    };
    return table;
}

TEST(SharedFixtures, EveryCapturedBodyParsesIntoTheRightThing) {
    const auto dir = testing::shared_fixture_dir();
    if (!dir) GTEST_SKIP() << "shared fixtures folder not found (set GRAMKIT_IG_FIXTURES or add ../shared/fixtures/instagram)";
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(*dir)) {
        if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    EXPECT_GE(files.size(), expectations().size()) << "some known fixtures are missing from " << dir->string();
    for (const auto& path : files) {
        const std::string name = path.filename().string();
        SCOPED_TRACE(name);
        const auto it = expectations().find(name);
        // A new capture must come with its expectation here.
        ASSERT_NE(it, expectations().end()) << "no expectation for " << name;
        it->second(testing::read_file(path));
    }
}

TEST(SharedFixtures, ErrorBodiesGivenToDataParsersReturnTheirClassifiedError) {
    const auto dir = testing::shared_fixture_dir();
    if (!dir) GTEST_SKIP() << "shared fixtures folder not found";
    const auto body = testing::read_file(*dir / "20_login_required_private_api_2016.json");
    const auto r = parse_web_profile_info(body);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::unauthenticated);
    // And a real document of one kind given to another parser is a clear structural error.
    const auto hashtag = parse_hashtag(testing::read_file(*dir / "05_media_api_v1_media_info_items_2022.json"));
    ASSERT_FALSE(hashtag);
    EXPECT_EQ(hashtag.error().code, ErrorCode::upstream_error);
    EXPECT_EQ(hashtag.error().details, "data.hashtag");
}

}  // namespace
}  // namespace gramkit::instagram
