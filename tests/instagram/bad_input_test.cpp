// Structurally wrong documents: each is an upstream_error that says what was
// expected where (details = JSON path) — never a crash or an exception.
#include <gtest/gtest.h>

#include <functional>

#include "fixture_files.hpp"
#include "instagram/parse.hpp"

namespace gramkit::instagram {
namespace {

using testing::own_fixture;

// Every data parser, as "does it fail, and how".
const std::vector<std::pair<std::string_view, std::function<Status(std::string_view)>>>& all_parsers() {
    static const std::vector<std::pair<std::string_view, std::function<Status(std::string_view)>>> parsers = {
        {"profile", [](std::string_view b) -> Status { GK_TRY(parse_web_profile_info(b)); return {}; }},
        {"timeline", [](std::string_view b) -> Status { GK_TRY(parse_user_timeline(b)); return {}; }},
        {"media_info", [](std::string_view b) -> Status { GK_TRY(parse_media_info(b)); return {}; }},
        {"shortcode", [](std::string_view b) -> Status { GK_TRY(parse_shortcode_media(b)); return {}; }},
        {"hashtag", [](std::string_view b) -> Status { GK_TRY(parse_hashtag(b)); return {}; }},
    };
    return parsers;
}

void expect_upstream(const Error& e, std::string_view details, std::string_view message_part) {
    EXPECT_EQ(e.code, ErrorCode::upstream_error) << e.to_string();
    EXPECT_EQ(e.details, details) << e.to_string();
    EXPECT_NE(e.message.find(message_part), std::string::npos) << e.message;
}

std::string replace_once(std::string text, std::string_view from, std::string_view to) {
    const auto pos = text.find(from);
    if (pos == std::string::npos) throw std::logic_error("test setup: pattern not in fixture");
    return text.replace(pos, from.size(), to);
}

TEST(BadInput, EmptyAndBlankBodies) {
    for (const auto& [name, parse] : all_parsers()) {
        for (std::string_view body : {"", "   \n\t "}) {
            const auto r = parse(body);
            ASSERT_FALSE(r) << name;
            expect_upstream(r.error(), "$", "the body is empty");
        }
    }
}

TEST(BadInput, NotJson) {
    for (const auto& [name, parse] : all_parsers()) {
        const auto r = parse("<!DOCTYPE html><html><body>Oops</body></html>");
        ASSERT_FALSE(r) << name;
        EXPECT_EQ(r.error().code, ErrorCode::upstream_error) << name;
        EXPECT_EQ(r.error().details, "$") << name;
    }
}

TEST(BadInput, RootMustBeAnObject) {
    const auto r = parse_web_profile_info("[1, 2, 3]");
    ASSERT_FALSE(r);
    expect_upstream(r.error(), "$", "expected a web profile info document at '$' (got array)");
}

TEST(BadInput, EveryTruncationOfEveryFixtureFailsCleanly) {
    const std::pair<std::string_view, std::string_view> cases[] = {
        {"profile", "profile_graphql.json"},   {"timeline", "timeline_xdt_2024.json"},
        {"media_info", "media_info_v1_video.json"}, {"shortcode", "shortcode_graphql_sidecar.json"},
        {"hashtag", "hashtag_web_info.json"},
    };
    for (const auto& [parser_name, fixture] : cases) {
        const std::string body = own_fixture(fixture);
        const auto end = body.find_last_of('}');
        const auto& parse = std::find_if(all_parsers().begin(), all_parsers().end(),
                                         [&](const auto& p) { return p.first == parser_name; })->second;
        ASSERT_TRUE(parse(body)) << fixture;
        for (std::size_t length = 1; length <= end; ++length) {  // every prefix missing the final '}'
            const auto r = parse(std::string_view(body).substr(0, length));
            ASSERT_FALSE(r) << fixture << " cut at " << length;
            ASSERT_EQ(r.error().code, ErrorCode::upstream_error) << fixture << " cut at " << length << ": " << r.error().to_string();
            ASSERT_FALSE(r.error().details.empty());
        }
    }
}

TEST(BadInput, MissingRoot) {
    const auto r = parse_web_profile_info(R"({"status": "ok"})");
    ASSERT_FALSE(r);
    expect_upstream(r.error(), "data.user", "expected the user object at 'data.user'");

    const auto t = parse_user_timeline(R"({"data": {"user": {"edge_felix_video_timeline": {}}}})");
    ASSERT_FALSE(t);
    expect_upstream(t.error(), "data.user.edge_owner_to_timeline_media", "expected a post connection");

    const auto m = parse_media_info(R"({"num_results": 0})");
    ASSERT_FALSE(m);
    expect_upstream(m.error(), "items", "expected an array of posts at 'items'");

    const auto s = parse_shortcode_media(R"({"graphql": {}})");
    ASSERT_FALSE(s);
    expect_upstream(s.error(), "graphql.shortcode_media", "expected a post object");
}

TEST(BadInput, WrongTypeAtRequiredRoot) {
    const auto r = parse_web_profile_info(R"({"data": {"user": []}})");
    ASSERT_FALSE(r);
    expect_upstream(r.error(), "data.user", "expected the user object at 'data.user' (got array)");

    const auto h = parse_hashtag(R"({"data": {"hashtag": "paris"}})");
    ASSERT_FALSE(h);
    expect_upstream(h.error(), "data.hashtag", "(got string)");

    const auto m = parse_media_info(R"({"items": {"0": {}}})");
    ASSERT_FALSE(m);
    expect_upstream(m.error(), "items", "expected an array of posts at 'items' (got object)");
}

TEST(BadInput, WrongTypeInsideNamesTheFullPath) {
    const std::string body = own_fixture("profile_graphql.json");
    const auto count = parse_web_profile_info(replace_once(body, R"("edge_followed_by": {"count": 12345})",
                                                           R"("edge_followed_by": {"count": "many"})"));
    ASSERT_FALSE(count);
    expect_upstream(count.error(), "data.user.edge_followed_by.count", "expected an integer");

    const auto id = parse_web_profile_info(replace_once(body, R"("id": "3000000000000000002")", R"("id": {"x": 1})"));
    ASSERT_FALSE(id);
    expect_upstream(id.error(), "data.user.edge_owner_to_timeline_media.edges[1].node.id", "expected an id");

    const auto flag = parse_web_profile_info(replace_once(body, R"("is_private": false)", R"("is_private": "no")"));
    ASSERT_FALSE(flag);
    expect_upstream(flag.error(), "data.user.is_private", "expected a boolean");

    const auto edges = parse_user_timeline(
        replace_once(own_fixture("timeline_xdt_2024.json"), R"("edges": [)", R"("edges": 7, "x": [)"));
    ASSERT_FALSE(edges);
    expect_upstream(edges.error(), "data.xdt_api__v1__feed__user_timeline_graphql_connection.edges",
                    "expected an array");
}

TEST(BadInput, RequiredPostFieldsMissing) {
    const auto r = parse_user_timeline(
        R"({"data": {"user": {"edge_owner_to_timeline_media": {"edges": [{"node": {"id": "1"}}]}}}})");
    ASSERT_FALSE(r);
    expect_upstream(r.error(), "data.user.edge_owner_to_timeline_media.edges[0].node.shortcode",
                    "the post's shortcode");
    const auto no_node = parse_user_timeline(
        R"({"data": {"user": {"edge_owner_to_timeline_media": {"edges": [{"cursor": "x"}]}}}})");
    ASSERT_FALSE(no_node);
    expect_upstream(no_node.error(), "data.user.edge_owner_to_timeline_media.edges[0].node", "post object");
    const auto no_username = parse_web_profile_info(R"({"data": {"user": {"id": "1"}}})");
    ASSERT_FALSE(no_username);
    expect_upstream(no_username.error(), "data.user.username", "the user's username");
}

TEST(BadInput, HugeNumbers) {
    const auto big_count = parse_web_profile_info(
        R"({"data": {"user": {"id": "1", "username": "u", "edge_follow": {"count": 99999999999999999999}}}})");
    ASSERT_FALSE(big_count);
    expect_upstream(big_count.error(), "data.user.edge_follow.count", "int64 range");

    const auto float_count = parse_web_profile_info(
        R"({"data": {"user": {"id": "1", "username": "u", "edge_follow": {"count": 1e400}}}})");
    ASSERT_FALSE(float_count);
    EXPECT_EQ(float_count.error().details, "data.user.edge_follow.count");

    const auto negative = parse_web_profile_info(
        R"({"data": {"user": {"id": "1", "username": "u", "edge_follow": {"count": -3}}}})");
    ASSERT_FALSE(negative);
    expect_upstream(negative.error(), "data.user.edge_follow.count", "non-negative");

    const auto big_id = parse_media_info(R"({"items": [{"pk": 123456789012345678901234567890, "code": "x"}]})");
    ASSERT_FALSE(big_id);
    expect_upstream(big_id.error(), "items[0].pk", "uint64 range");

    const auto far_future = parse_media_info(R"({"items": [{"pk": 1, "code": "x", "taken_at": 9000000000000000000}]})");
    ASSERT_FALSE(far_future);
    expect_upstream(far_future.error(), "items[0].taken_at", "before the year 10000");

    const auto wide = parse_media_info(
        R"({"items": [{"pk": 1, "code": "x", "image_versions2": {"candidates": [{"url": "u", "width": 4294967296, "height": 1}]}}]})");
    ASSERT_FALSE(wide);
    expect_upstream(wide.error(), "items[0].image_versions2.candidates[0].width", "pixel size");
}

TEST(BadInput, DeeplyNestedArrays) {
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    // As the whole document.
    const auto root = parse_web_profile_info(deep);
    ASSERT_FALSE(root);
    EXPECT_EQ(root.error().code, ErrorCode::upstream_error);
    // Where an object is required.
    const auto user = parse_web_profile_info(R"({"data": {"user": )" + deep + "}}");
    ASSERT_FALSE(user);
    EXPECT_EQ(user.error().code, ErrorCode::upstream_error);
    EXPECT_EQ(user.error().details, "data.user");
    EXPECT_NE(user.error().message.find("expected the user object at 'data.user' (got array)"), std::string::npos)
        << user.error().message;
    // Where a post list is read: the first element must be a post object.
    const auto posts = parse_media_info(R"({"items": )" + deep + "}");
    ASSERT_FALSE(posts);
    EXPECT_EQ(posts.error().details, "items[0]");
    // Inside a field nobody reads: on-demand skips it iteratively (no
    // recursion, so no stack overflow) and the profile is still read.
    const auto skipped = parse_web_profile_info(R"({"data": {"user": {"id": "1", "username": "u", "junk": )" + deep + "}}}");
    ASSERT_TRUE(skipped) << skipped.error().to_string();
    EXPECT_EQ(skipped->username, "u");
    // Unbalanced.
    const auto open = parse_hashtag(R"({"data": {"top": )" + std::string(100000, '['));
    ASSERT_FALSE(open);
    EXPECT_EQ(open.error().code, ErrorCode::upstream_error);
}

TEST(BadInput, TrailingContentAndInvalidUtf8) {
    const auto trailing = parse_web_profile_info(R"({"data": {"user": {"id": "1", "username": "u"}}} {"more": 1})");
    ASSERT_FALSE(trailing);
    expect_upstream(trailing.error(), "$", "nothing after it");

    const auto utf8 = parse_web_profile_info("{\"data\": {\"user\": {\"id\": \"1\", \"username\": \"u\xff\"}}}");
    ASSERT_FALSE(utf8);
    EXPECT_EQ(utf8.error().code, ErrorCode::upstream_error);
    EXPECT_EQ(utf8.error().details, "$");
}

TEST(BadInput, NullsAndUnknownFieldsAreTolerated) {
    const auto r = parse_web_profile_info(
        R"({"data": {"user": {"id": "1", "username": "u", "full_name": null, "edge_follow": null,
            "external_url": null, "is_private": null, "new_thing": [{"deep": {"er": [null, true]}}],
            "edge_owner_to_timeline_media": {"count": null, "page_info": null, "edges": null}}}, "extensions": 1})");
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->full_name, "");
    EXPECT_EQ(r->following, 0);
    EXPECT_FALSE(r->external_url);
    EXPECT_TRUE(r->recent_posts.items.empty());
}

}  // namespace
}  // namespace gramkit::instagram
