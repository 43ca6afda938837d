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
//  - otherwise (g++, CI): the driver main below replays corpus files and
//    runs a bounded number of deterministic, seeded mutations (the same
//    pattern as tests/fuzz/params_fuzz.cpp).
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
// ---- the driver for builds without libFuzzer ---------------------------------

#include <filesystem>
#include <fstream>
#include <iterator>

namespace {

// splitmix64: small, fast, and the same sequence everywhere.
struct Rng {
    std::uint64_t state;
    std::uint64_t next() {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }
};

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

std::string mutate(const std::vector<std::string>& corpus, Rng& rng, std::size_t max_len) {
    std::string s = corpus[rng.below(corpus.size())];
    const std::size_t steps = 1 + rng.below(4);
    for (std::size_t i = 0; i < steps; ++i) {
        const std::size_t pos = rng.below(s.size() + 1);
        switch (rng.below(9)) {
            case 0:  // flip a bit
                if (!s.empty()) s[rng.below(s.size())] ^= static_cast<char>(1u << rng.below(8));
                break;
            case 1:  // replace a byte
                if (!s.empty()) s[rng.below(s.size())] = static_cast<char>(rng.below(256));
                break;
            case 2:  // insert a byte
                s.insert(pos, 1, static_cast<char>(rng.below(256)));
                break;
            case 3:  // erase a range
                if (!s.empty()) s.erase(rng.below(s.size()), 1 + rng.below(16));
                break;
            case 4:  // duplicate a range
                if (!s.empty()) {
                    const std::size_t from = rng.below(s.size());
                    s.insert(pos, s.substr(from, 1 + rng.below(64)));
                }
                break;
            case 5:
            case 6:  // insert a dictionary token
                s.insert(pos, kDictionary[rng.below(sizeof kDictionary / sizeof kDictionary[0])]);
                break;
            case 7: {  // splice with another entry
                const std::string& other = corpus[rng.below(corpus.size())];
                s = s.substr(0, pos) + other.substr(std::min(other.size(), rng.below(other.size() + 1)));
                break;
            }
            default:  // deep nesting
                s.insert(pos, std::string(1 + rng.below(2000), rng.below(2) ? '[' : '{'));
                break;
        }
        if (s.size() > max_len) s.resize(max_len);
    }
    return s;
}

bool read_file(const std::filesystem::path& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return true;
}

int usage() {
    std::fprintf(stderr,
                 "usage: instagram_fuzz [--runs N] [--seed S] [--max-len L] CORPUS_DIR_OR_FILE...\n"
                 "Replays every corpus file, then runs N seeded mutations of them (default 0).\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t runs = 0;
    std::uint64_t seed = 1;
    std::size_t max_len = 16384;
    std::vector<std::filesystem::path> inputs;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if ((arg == "--runs" || arg == "--seed" || arg == "--max-len") && i + 1 < argc) {
            char* end = nullptr;
            const unsigned long long v = std::strtoull(argv[++i], &end, 10);
            if (end == nullptr || *end != '\0') return usage();
            if (arg == "--runs") runs = static_cast<std::size_t>(v);
            else if (arg == "--seed") seed = v;
            else max_len = std::max<std::size_t>(1, static_cast<std::size_t>(v));
        } else if (!arg.empty() && arg[0] == '-') {
            return usage();
        } else {
            inputs.emplace_back(arg);
        }
    }
    if (inputs.empty()) return usage();

    std::vector<std::filesystem::path> files;
    for (const auto& in : inputs) {
        std::error_code ec;
        if (std::filesystem::is_directory(in, ec)) {
            for (const auto& entry : std::filesystem::directory_iterator(in)) {
                if (entry.is_regular_file()) files.push_back(entry.path());
            }
        } else {
            files.push_back(in);
        }
    }
    std::sort(files.begin(), files.end());  // deterministic order
    std::vector<std::string> corpus;
    for (const auto& f : files) {
        std::string data;
        if (!read_file(f, data)) {
            std::fprintf(stderr, "instagram_fuzz: cannot read %s\n", f.c_str());
            return 2;
        }
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
        corpus.push_back(std::move(data));
    }
    if (corpus.empty()) {
        std::fprintf(stderr, "instagram_fuzz: the corpus is empty\n");
        return 2;
    }
    std::printf("replayed %zu corpus files (%zu of %zu parser calls returned a value)\n", corpus.size(), g_ok, g_calls);

    Rng rng{seed};
    for (std::size_t run = 0; run < runs; ++run) {
        const std::string input = mutate(corpus, rng, max_len);
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
    }
    if (runs > 0) std::printf("ran %zu mutations with seed %llu\n", runs, static_cast<unsigned long long>(seed));
    std::printf("%zu calls, %zu returned a value, no violation\n", g_calls, g_ok);
    return 0;
}
#endif  // GRAMKIT_LIBFUZZER
