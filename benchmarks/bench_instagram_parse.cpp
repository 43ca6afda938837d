// Instagram response parsing (issue 5; results in docs/benchmarks.md).
//
// Payload: a web_profile_info answer with its first page of posts — the
// shared capture 01 (../shared/fixtures/instagram, or GRAMKIT_IG_FIXTURES)
// when present, else a generated body of the same shape.
//
// Three ways to get the same typed result (gramkit::instagram::Profile with
// its 12 posts, best image/video per item, hashtags and mentions):
//   BM_Gramkit_ParseWebProfileInfo   gramkit's parser (copies the body into a
//                                     padded buffer, tracks JSON paths for
//                                     errors, returns Result)
//   BM_Baseline_RawSimdjsonOnDemand  a direct simdjson on-demand pass written
//                                     here, on a pre-padded body, exceptions API
//   BM_Baseline_Nlohmann             the same extraction over nlohmann::json
// BM_Ratios times all three (thread CPU time, fastest of 15 interleaved
// rounds) and reports
//   gramkit_vs_raw      = raw time / gramkit time  (goal ≥ 0.8)
//   gramkit_vs_nlohmann = nlohmann time / gramkit time  (goal ≥ 8)
#include <benchmark/benchmark.h>
#include <simdjson.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "instagram/caption_text.hpp"
#include "instagram/parse.hpp"

namespace {

using namespace gramkit;
using namespace gramkit::instagram;

// ---- the payload ------------------------------------------------------------

std::string generated_payload() {
    // 12 posts: images, videos and 3-child sidecars, with realistic URL sizes.
    const std::string url = "https://scontent.cdninstagram.com/v/t51.2885-15/" + std::string(180, 'x');
    std::string posts;
    for (int i = 0; i < 12; ++i) {
        const std::string id = std::to_string(2800000000000000000LL + i);
        const char* type = i % 3 == 0 ? "GraphSidecar" : (i % 3 == 1 ? "GraphVideo" : "GraphImage");
        std::string node = R"({"node":{"__typename":")" + std::string(type) + R"(","id":")" + id +
                           R"(","shortcode":"Csc)" + std::to_string(i) +
                           R"(","dimensions":{"height":1350,"width":1080},"display_url":")" + url +
                           R"(","display_resources":[{"src":")" + url + R"(","config_width":640,"config_height":800},{"src":")" +
                           url + R"(","config_width":1080,"config_height":1350}],"is_video":)" +
                           (i % 3 == 1 ? "true" : "false") + R"(,"video_url":")" + url +
                           R"(","tracking_token":")" + std::string(400, 't') +
                           R"(","edge_media_to_caption":{"edges":[{"node":{"text":"Post #tag)" + std::to_string(i) +
                           R"( with @friend and #café \u2615"}}]},"edge_media_to_comment":{"count":12},"taken_at_timestamp":1650000000,"edge_liked_by":{"count":3400},"edge_media_preview_like":{"count":3400},"owner":{"id":"1518284433","username":"someone"})";
        if (i % 3 == 0) {
            node += R"(,"edge_sidecar_to_children":{"edges":[)";
            for (int c = 0; c < 3; ++c) {
                node += std::string(c ? "," : "") + R"({"node":{"__typename":"GraphImage","id":"1","dimensions":{"height":1080,"width":1080},"display_url":")" +
                        url + R"(","is_video":false}})";
            }
            node += "]}";
        }
        node += "}}";
        posts += (i ? "," : "") + node;
    }
    return R"({"data":{"user":{"biography":"bio","edge_followed_by":{"count":52979346},"edge_follow":{"count":5},"full_name":"Someone","id":"1518284433","is_private":false,"is_verified":true,"profile_pic_url":")" +
           url + R"(","profile_pic_url_hd":")" + url + R"(","username":"someone","external_url":null,"edge_owner_to_timeline_media":{"count":419,"page_info":{"has_next_page":true,"end_cursor":"QVFC"},"edges":[)" +
           posts + R"(]}}},"status":"ok"})";
}

const std::string& payload() {
    static const std::string body = [] {
        const char* env = std::getenv("GRAMKIT_IG_FIXTURES");
        const std::filesystem::path dir = (env != nullptr && *env != '\0')
                                              ? std::filesystem::path(env)
                                              : std::filesystem::path(__FILE__).parent_path() / "../../shared/fixtures/instagram";
        std::ifstream in(dir / "01_profile_web_profile_info_2022_full.json", std::ios::binary);
        if (!in) return generated_payload();
        return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }();
    return body;
}

// ---- shared helpers for the baselines (same choice rules as gramkit) ------------

struct Best {
    std::string_view url;
    std::int64_t width = 0, height = 0;
    void offer(std::string_view u, std::int64_t w, std::int64_t h) {
        if (u.empty()) return;
        if (url.empty() || w * h > width * height) *this = Best{u, w, h};
    }
};

MediaType type_from_typename(std::string_view name) {
    if (name.ends_with("Sidecar")) return MediaType::carousel;
    if (name.ends_with("Video")) return MediaType::video;
    return MediaType::image;
}

// One item's chosen file, given what its node said.
struct ItemSeen {
    MediaType type = MediaType::image;
    bool is_video = false;
    std::int64_t width = 0, height = 0;
    std::string_view display_url, video_url;
    Best resources;
    std::optional<MediaUrl> file() const {
        if ((type == MediaType::video || is_video) && !video_url.empty())
            return MediaUrl{std::string(video_url), int(width), int(height), MediaKind::video};
        Best image{display_url, width, height};
        image.offer(resources.url, resources.width, resources.height);
        if (image.url.empty()) return std::nullopt;
        return MediaUrl{std::string(image.url), int(image.width), int(image.height), MediaKind::image};
    }
};

void finish_post(Post& post, ItemSeen& seen, std::vector<MediaUrl>& children) {
    post.media_type = seen.type;
    post.is_video = seen.type == MediaType::video;
    if (!children.empty()) post.media = std::move(children);
    else if (auto f = seen.file()) post.media.push_back(std::move(*f));
    post.hashtags = extract_hashtags(post.caption);
    post.mentions = extract_mentions(post.caption);
}

// ---- (a) raw simdjson on-demand ------------------------------------------------------

namespace od = simdjson::ondemand;

std::int64_t raw_count(od::value v) {
    for (auto f : v.get_object()) {
        if (f.key() == "count") return f.value().get_int64();
    }
    return 0;
}

void raw_item(od::value node, ItemSeen& seen, Post* post, std::vector<MediaUrl>* children) {
    for (auto f : node.get_object()) {
        const std::string_view key = f.unescaped_key();
        od::value v = f.value();
        if (key == "__typename") seen.type = type_from_typename(std::string_view(v));
        else if (key == "is_video") seen.is_video = bool(v);
        else if (key == "dimensions") {
            for (auto d : v.get_object()) {
                if (d.key() == "width") seen.width = d.value().get_int64();
                else if (d.key() == "height") seen.height = d.value().get_int64();
            }
        } else if (key == "display_url") seen.display_url = std::string_view(v);
        else if (key == "video_url") seen.video_url = std::string_view(v);
        else if (key == "display_resources") {
            for (auto r : v.get_array()) {
                std::string_view src;
                std::int64_t w = 0, h = 0;
                for (auto rf : r.get_object()) {
                    if (rf.key() == "src") src = std::string_view(rf.value());
                    else if (rf.key() == "config_width") w = rf.value().get_int64();
                    else if (rf.key() == "config_height") h = rf.value().get_int64();
                }
                seen.resources.offer(src, w, h);
            }
        } else if (post == nullptr) {
            continue;
        } else if (key == "id") post->id = std::string_view(v);
        else if (key == "shortcode") post->shortcode = std::string_view(v);
        else if (key == "taken_at_timestamp") post->taken_at = Timestamp{std::chrono::seconds(std::int64_t(v.get_int64()))};
        else if (key == "edge_liked_by" || key == "edge_media_preview_like") post->like_count = raw_count(v);
        else if (key == "edge_media_to_comment") post->comment_count = raw_count(v);
        else if (key == "owner") {
            for (auto o : v.get_object()) {
                if (o.key() == "id") post->owner_id = std::string_view(o.value());
                else if (o.key() == "username") post->owner_username = std::string(std::string_view(o.value()));
            }
        } else if (key == "edge_media_to_caption") {
            for (auto e : v["edges"].get_array()) {
                post->caption = std::string_view(e["node"]["text"]);
                break;
            }
        } else if (key == "edge_sidecar_to_children") {
            for (auto e : v["edges"].get_array()) {
                ItemSeen child;
                raw_item(e["node"], child, nullptr, nullptr);
                if (auto file = child.file()) children->push_back(std::move(*file));
            }
        }
    }
}

Profile raw_simdjson(od::parser& parser, const simdjson::padded_string& body) {
    Profile p;
    od::document doc = parser.iterate(body);
    std::string_view pic, pic_hd;
    for (auto f : doc["data"]["user"].get_object()) {
        const std::string_view key = f.unescaped_key();
        od::value v = f.value();
        if (key == "id") p.id = std::string_view(v);
        else if (key == "username") p.username = std::string_view(v);
        else if (key == "full_name") p.full_name = std::string_view(v);
        else if (key == "biography") p.biography = std::string_view(v);
        else if (key == "edge_followed_by") p.followers = raw_count(v);
        else if (key == "edge_follow") p.following = raw_count(v);
        else if (key == "is_private") p.is_private = bool(v);
        else if (key == "is_verified") p.is_verified = bool(v);
        else if (key == "profile_pic_url") pic = std::string_view(v);
        else if (key == "profile_pic_url_hd") pic_hd = std::string_view(v);
        else if (key == "external_url") {
            if (!v.is_null()) p.external_url = std::string(std::string_view(v));
        } else if (key == "edge_owner_to_timeline_media") {
            for (auto m : v.get_object()) {
                const std::string_view mk = m.unescaped_key();
                if (mk == "count") p.post_count = m.value().get_int64();
                else if (mk == "page_info") {
                    for (auto pi : m.value().get_object()) {
                        if (pi.key() == "has_next_page") p.recent_posts.has_next = bool(pi.value());
                        else if (pi.key() == "end_cursor" && !pi.value().is_null())
                            p.recent_posts.next_cursor = std::string(std::string_view(pi.value()));
                    }
                } else if (mk == "edges") {
                    for (auto e : m.value().get_array()) {
                        Post post;
                        ItemSeen seen;
                        std::vector<MediaUrl> children;
                        raw_item(e["node"], seen, &post, &children);
                        finish_post(post, seen, children);
                        p.recent_posts.items.push_back(std::move(post));
                    }
                }
            }
        }
    }
    p.profile_pic_url = pic_hd.empty() ? pic : pic_hd;
    return p;
}

// ---- (b) nlohmann-json ---------------------------------------------------------------

using nlohmann::json;

std::int64_t nl_count(const json& object, const char* key) {
    const auto it = object.find(key);
    if (it == object.end() || !it->is_object()) return 0;
    return it->value("count", std::int64_t{0});
}

std::string nl_string(const json& object, const char* key) {
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

ItemSeen nl_item(const json& node) {
    ItemSeen seen;
    seen.type = type_from_typename(node.value("__typename", std::string()));
    seen.is_video = node.value("is_video", false);
    if (const auto d = node.find("dimensions"); d != node.end()) {
        seen.width = d->value("width", std::int64_t{0});
        seen.height = d->value("height", std::int64_t{0});
    }
    if (const auto u = node.find("display_url"); u != node.end() && u->is_string()) seen.display_url = u->get_ref<const std::string&>();
    if (const auto u = node.find("video_url"); u != node.end() && u->is_string()) seen.video_url = u->get_ref<const std::string&>();
    if (const auto r = node.find("display_resources"); r != node.end() && r->is_array()) {
        for (const auto& res : *r) {
            const auto src = res.find("src");
            if (src == res.end() || !src->is_string()) continue;
            seen.resources.offer(src->get_ref<const std::string&>(), res.value("config_width", std::int64_t{0}),
                                 res.value("config_height", std::int64_t{0}));
        }
    }
    return seen;
}

Profile nlohmann_parse(const std::string& body) {
    const json doc = json::parse(body);
    const json& u = doc.at("data").at("user");
    Profile p;
    p.id = nl_string(u, "id");
    p.username = nl_string(u, "username");
    p.full_name = nl_string(u, "full_name");
    p.biography = nl_string(u, "biography");
    p.followers = nl_count(u, "edge_followed_by");
    p.following = nl_count(u, "edge_follow");
    p.is_private = u.value("is_private", false);
    p.is_verified = u.value("is_verified", false);
    p.profile_pic_url = nl_string(u, "profile_pic_url_hd");
    if (p.profile_pic_url.empty()) p.profile_pic_url = nl_string(u, "profile_pic_url");
    if (auto ext = nl_string(u, "external_url"); !ext.empty()) p.external_url = std::move(ext);
    const json& media = u.at("edge_owner_to_timeline_media");
    p.post_count = media.value("count", std::int64_t{0});
    const json& page_info = media.at("page_info");
    p.recent_posts.has_next = page_info.value("has_next_page", false);
    if (auto cursor = nl_string(page_info, "end_cursor"); !cursor.empty()) p.recent_posts.next_cursor = std::move(cursor);
    for (const auto& edge : media.at("edges")) {
        const json& node = edge.at("node");
        Post post;
        post.id = nl_string(node, "id");
        post.shortcode = nl_string(node, "shortcode");
        post.taken_at = Timestamp{std::chrono::seconds(node.value("taken_at_timestamp", std::int64_t{0}))};
        post.like_count = nl_count(node, "edge_liked_by");
        post.comment_count = nl_count(node, "edge_media_to_comment");
        if (const auto o = node.find("owner"); o != node.end()) {
            post.owner_id = nl_string(*o, "id");
            if (auto name = nl_string(*o, "username"); !name.empty()) post.owner_username = std::move(name);
        }
        if (const auto c = node.find("edge_media_to_caption"); c != node.end()) {
            const json& edges = c->at("edges");
            if (!edges.empty()) post.caption = nl_string(edges.at(0).at("node"), "text");
        }
        std::vector<MediaUrl> children;
        if (const auto s = node.find("edge_sidecar_to_children"); s != node.end()) {
            for (const auto& child : s->at("edges")) {
                if (auto file = nl_item(child.at("node")).file()) children.push_back(std::move(*file));
            }
        }
        ItemSeen seen = nl_item(node);
        finish_post(post, seen, children);
        p.recent_posts.items.push_back(std::move(post));
    }
    return p;
}

// ---- the benchmarks ---------------------------------------------------------------------

// The three must agree, or the comparison means nothing.
bool same_result(const Profile& a, const Profile& b) {
    if (a.id != b.id || a.username != b.username || a.followers != b.followers || a.post_count != b.post_count ||
        a.profile_pic_url != b.profile_pic_url || a.recent_posts.next_cursor != b.recent_posts.next_cursor ||
        a.recent_posts.items.size() != b.recent_posts.items.size())
        return false;
    for (std::size_t i = 0; i < a.recent_posts.items.size(); ++i) {
        const Post& x = a.recent_posts.items[i];
        const Post& y = b.recent_posts.items[i];
        if (x.id != y.id || x.shortcode != y.shortcode || x.caption != y.caption || x.like_count != y.like_count ||
            x.comment_count != y.comment_count || x.media != y.media || x.hashtags != y.hashtags ||
            x.mentions != y.mentions || x.taken_at != y.taken_at || x.owner_username != y.owner_username)
            return false;
    }
    return true;
}

bool check_agreement(benchmark::State& state) {
    od::parser parser;
    const simdjson::padded_string padded(payload());
    const auto ours = parse_web_profile_info(payload());
    if (!ours) {
        state.SkipWithError(("gramkit parser failed: " + ours.error().to_string()).c_str());
        return false;
    }
    if (!same_result(*ours, raw_simdjson(parser, padded)) || !same_result(*ours, nlohmann_parse(payload()))) {
        state.SkipWithError("the three parsers disagree on the payload");
        return false;
    }
    return true;
}

void BM_Gramkit_ParseWebProfileInfo(benchmark::State& state) {
    if (!check_agreement(state)) return;
    for (auto _ : state) {
        auto r = parse_web_profile_info(payload());
        benchmark::DoNotOptimize(r);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * payload().size()));
}
BENCHMARK(BM_Gramkit_ParseWebProfileInfo);

void BM_Baseline_RawSimdjsonOnDemand(benchmark::State& state) {
    od::parser parser;
    const simdjson::padded_string padded(payload());
    for (auto _ : state) {
        auto p = raw_simdjson(parser, padded);
        benchmark::DoNotOptimize(p);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * payload().size()));
}
BENCHMARK(BM_Baseline_RawSimdjsonOnDemand);

void BM_Baseline_Nlohmann(benchmark::State& state) {
    for (auto _ : state) {
        auto p = nlohmann_parse(payload());
        benchmark::DoNotOptimize(p);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * payload().size()));
}
BENCHMARK(BM_Baseline_Nlohmann);

// This thread's CPU time in µs: other builds sharing the machine steal wall
// time, not the CPU time this thread spends.
double thread_cpu_us() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

// Interleaved rounds; the fastest round of each is compared (the least
// disturbed by the other builds sharing this machine).
void BM_Ratios(benchmark::State& state) {
    if (!check_agreement(state)) return;
    od::parser parser;
    const simdjson::padded_string padded(payload());
    constexpr int kRounds = 15;
    constexpr int kPerRound = 30;
    double best_gramkit = 1e300, best_raw = 1e300, best_nlohmann = 1e300;
    const auto time_round = [](auto&& fn) {
        const double start = thread_cpu_us();
        for (int i = 0; i < kPerRound; ++i) fn();
        return (thread_cpu_us() - start) / kPerRound;
    };
    for (auto _ : state) {
        for (int round = 0; round < kRounds; ++round) {
            best_gramkit = std::min(best_gramkit, time_round([&] {
                auto r = parse_web_profile_info(payload());
                benchmark::DoNotOptimize(r);
            }));
            best_raw = std::min(best_raw, time_round([&] {
                auto p = raw_simdjson(parser, padded);
                benchmark::DoNotOptimize(p);
            }));
            best_nlohmann = std::min(best_nlohmann, time_round([&] {
                auto p = nlohmann_parse(payload());
                benchmark::DoNotOptimize(p);
            }));
        }
    }
    state.counters["payload_bytes"] = static_cast<double>(payload().size());
    state.counters["gramkit_us"] = best_gramkit;
    state.counters["raw_simdjson_us"] = best_raw;
    state.counters["nlohmann_us"] = best_nlohmann;
    state.counters["gramkit_vs_raw"] = best_raw / best_gramkit;
    state.counters["gramkit_vs_nlohmann"] = best_nlohmann / best_gramkit;
}
BENCHMARK(BM_Ratios)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
