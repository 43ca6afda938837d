// Fuzz target for the Instagram response parsers: every input goes through
// every parser (profile, timeline, media info, shortcode media, hashtag),
// classify_response, and the Set-Cookie parser and cookie jar.
//
// Each parser must return either a value or an error with a known code, a
// non-empty message and, for upstream_error, a JSON path in `details`; a
// value must be internally sane (ids and shortcodes non-empty, non-negative
// counts). Anything else aborts (a crash for libFuzzer, a failure for the
// driver). classify_response must never fail and must keep its HTTP status.
//
// Builds two ways:
//  - with clang -fsanitize=fuzzer -DGRAMKIT_LIBFUZZER: libFuzzer's main
//    drives LLVMFuzzerTestOneInput;
//  - otherwise (g++, CI): the shared driver (tests/fuzz/driver) replays
//    corpus files and runs a bounded number of deterministic, seeded
//    mutations.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "instagram/parse.hpp"
#include "net/cookie_jar.hpp"
#include "net/url.hpp"

namespace {

using namespace gramkit;
using namespace gramkit::instagram;

std::size_t g_calls = 0;
std::size_t g_ok = 0;

[[noreturn]] void violation(const char* what, std::string_view parser, std::string_view detail) {
    std::fprintf(stderr, "instagram_fuzz: %s\n  parser: %.*s\n  detail: %.*s\n", what, static_cast<int>(parser.size()),
                 parser.data(), static_cast<int>(std::min<std::size_t>(detail.size(), 400)), detail.data());
    std::abort();
}

void check_error(const Error& e, std::string_view parser) {
    switch (e.code) {
        case ErrorCode::upstream_error:
            if (e.details.empty()) violation("upstream_error without a JSON path", parser, e.message);
            break;
        // Error bodies map to these (see to_error_code); not_found for null roots.
        case ErrorCode::not_found:
        case ErrorCode::unauthenticated:
        case ErrorCode::failed_precondition:
        case ErrorCode::rate_limited:
            break;
        default: violation("unexpected error code", parser, e.to_string());
    }
    if (e.message.empty()) violation("error without a message", parser, "");
}

void check_post(const Post& p, std::string_view parser) {
    if (p.id.empty() || p.shortcode.empty()) violation("post without id or shortcode", parser, p.id);
    if (p.like_count < 0 || p.comment_count < 0) violation("negative count", parser, p.id);
    if (p.is_video != (p.media_type == MediaType::video)) violation("is_video disagrees with media_type", parser, p.id);
    for (const auto& m : p.media) {
        if (m.url.empty() || m.width < 0 || m.height < 0) violation("bad media url", parser, m.url);
    }
}

template <class T, class Check>
void run(std::string_view parser, const Result<T>& r, Check&& check_value) {
    ++g_calls;
    if (!r) return check_error(r.error(), parser);
    ++g_ok;
    check_value(*r);
}

}  // namespace

// The same input as a Set-Cookie value received from Instagram's web host:
// a cookie that is kept must be one the jar could send back to that host,
// and the Cookie header built from it must stay one header line.
void check_set_cookie(std::string_view value) {
    static const net::Url kFrom = net::parse_url("https://www.instagram.com/accounts/login/").value();
    ++g_calls;
    const auto cookie = net::parse_set_cookie(value, kFrom, from_micros(1'700'000'000'000'000));
    if (!cookie) return;
    if (cookie->name.empty()) violation("cookie without a name", "set_cookie", value);
    if (!net::domain_matches(kFrom.host, cookie->domain)) violation("cookie for a foreign domain", "set_cookie", value);
    if (cookie->path.empty() || cookie->path.front() != '/') violation("cookie path not absolute", "set_cookie", value);
    net::CookieJar jar(std::make_shared<ManualClock>(from_micros(1'700'000'000'000'000)));
    jar.set_cookie(kFrom, value);
    const std::string header = jar.cookie_header_for(kFrom);
    if (header.find_first_of("\r\n") != std::string::npos) violation("CR/LF in a Cookie header", "set_cookie", value);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    run("profile", parse_web_profile_info(body), [](const Profile& p) {
        if (p.id.empty() || p.username.empty()) violation("profile without id or username", "profile", p.id);
        if (p.followers < 0 || p.following < 0 || p.post_count < 0) violation("negative count", "profile", p.id);
        for (const auto& post : p.recent_posts.items) check_post(post, "profile");
    });
    run("timeline", parse_user_timeline(body), [](const PostsPage& page) {
        for (const auto& post : page.items) check_post(post, "timeline");
        if (page.next_cursor && page.next_cursor->empty()) violation("empty cursor instead of none", "timeline", "");
    });
    run("media_info", parse_media_info(body), [](const Post& p) { check_post(p, "media_info"); });
    run("shortcode", parse_shortcode_media(body), [](const Post& p) { check_post(p, "shortcode"); });
    run("hashtag", parse_hashtag(body), [](const HashtagPage& h) {
        if (h.name.empty()) violation("hashtag without a name", "hashtag", "");
        for (const auto& post : h.top_posts) check_post(post, "hashtag");
        for (const auto& post : h.recent_posts) check_post(post, "hashtag");
    });
    for (int status : {200, 400, 429}) {
        ++g_calls;
        const LoginResult outcome = classify_response(status, body);
        if (outcome.http_status != status) violation("classify lost the HTTP status", "classify", "");
        if (outcome.kind == ApiErrorKind::generic && outcome.message.empty())
            violation("generic outcome without a message", "classify", "");
        if (status == 429 && outcome.kind == ApiErrorKind::ok) violation("HTTP 429 classified as ok", "classify", "");
    }
    check_set_cookie(body);
    return 0;
}

#ifndef GRAMKIT_LIBFUZZER
// ---- the driver for builds without libFuzzer (tests/fuzz/driver) ----------

#include "driver/fuzz_driver.hpp"

namespace {

// Tokens that reach the interesting paths of the Instagram parsers.
const char* const kDictionary[] = {
    "{", "}", "[", "]", "\"", ":", ",", "\\", "null", "true", "false", "0", "-1", "1.5", "1e999",
    "18446744073709551616", "9223372036854775807", "\"data\":", "\"user\":", "\"graphql\":", "\"items\":",
    "\"edges\":", "\"node\":", "\"page_info\":", "\"end_cursor\":", "\"has_next_page\":", "\"id\":", "\"pk\":",
    "\"code\":", "\"shortcode\":", "\"__typename\":", "\"GraphSidecar\"", "\"GraphVideo\"", "\"media_type\":",
    "\"carousel_media\":", "\"edge_sidecar_to_children\":", "\"video_versions\":", "\"image_versions2\":",
    "\"candidates\":", "\"caption\":", "\"text\":", "\"#tag\"", "\"@user\"", "\"taken_at\":", "\"like_count\":",
    "\"edge_followed_by\":", "\"count\":", "\"hashtag\":", "\"top\":", "\"recent\":", "\"sections\":",
    "\"layout_content\":", "\"medias\":", "\"media\":", "\"status\":", "\"fail\"", "\"message\":",
    "\"checkpoint_required\"", "\"two_factor_required\":", "\"two_factor_info\":", "\"authenticated\":",
    "\"xdt_api__v1__feed__user_timeline_graphql_connection\":", "\"xdt_shortcode_media\":",
    "\xc3\xa9", "\xf0\x9f\x98\x80", "\xe2\x80\x99", "\xff", "\x80", "\\u0000", "\\ud800", "#", "@",
};

}  // namespace

int main(int argc, char** argv) {
    gramkit::fuzz::DriverConfig config;
    config.name = "instagram_fuzz";
    config.default_max_len = 16384;
    config.dictionary = kDictionary;
    config.max_nesting = 2000;
    config.after_replay = [](std::size_t files) {
        std::printf("replayed %zu corpus files (%zu of %zu parser calls returned a value)\n", files, g_ok, g_calls);
    };
    config.at_end = [] { std::printf("%zu calls, %zu returned a value, no violation\n", g_calls, g_ok); };
    return gramkit::fuzz::run_driver(argc, argv, LLVMFuzzerTestOneInput, config);
}
#endif  // GRAMKIT_LIBFUZZER
