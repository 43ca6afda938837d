// parse_hashtag: GraphQL hashtag pages and api/v1/tags/web_info.
#include "instagram/error_body.hpp"
#include "instagram/parse.hpp"
#include "instagram/post_node.hpp"

namespace gramkit::instagram {
namespace {

using walk::JsonPath;
namespace od = walk::od;

// One web_info list ("top" or "recent"): its posts and its own cursor.
struct WebInfoSection {
    bool present = false;
    std::vector<Post> posts;
    std::optional<std::string> next_max_id;
    bool more_available = false;
};

// [{"media": post}, ...] — the element shape of medias, fill_items and
// clips.items.
Status read_media_wrappers(od::value& value, const JsonPath& at, std::vector<Post>& posts) {
    return walk::for_each_element(value, at, [&](std::size_t, od::value& wrapper, const JsonPath& wp) -> Status {
        return walk::for_each_field(wrapper, wp, [&](std::string_view key, od::value& v, const JsonPath& p) -> Status {
            if (key != "media") return {};
            Post post;
            GK_TRY(detail::read_post(v, p, post));
            posts.push_back(std::move(post));
            return {};
        });
    });
}

// layout_content of one section. Grid rows carry "medias"; the large tile
// rows carry "fill_items" plus a "one_by_two_item" holding a clips strip.
Status read_layout_content(od::value& value, const JsonPath& at, std::vector<Post>& posts) {
    return walk::for_each_field(value, at, [&](std::string_view key, od::value& v, const JsonPath& p) -> Status {
        if (key == "medias" || key == "fill_items") return read_media_wrappers(v, p, posts);
        if (key != "one_by_two_item") return {};
        return walk::for_each_field(v, p, [&](std::string_view k, od::value& c, const JsonPath& cp) -> Status {
            if (k != "clips") return {};
            return walk::for_each_field(c, cp, [&](std::string_view ck, od::value& items, const JsonPath& ip) -> Status {
                if (ck == "items") return read_media_wrappers(items, ip, posts);
                return {};
            });
        });
    });
}

Status read_web_info_section(od::value& value, const JsonPath& at, WebInfoSection& section) {
    GK_ASSIGN_OR_RETURN(const od::json_type type, walk::type_of(value, at, "a web_info section"));
    if (type == od::json_type::null) return {};
    section.present = true;
    return walk::for_each_field(value, at, [&](std::string_view key, od::value& v, const JsonPath& p) -> Status {
        if (key == "sections") {
            return walk::for_each_element(v, p, [&](std::size_t, od::value& row, const JsonPath& rp) -> Status {
                return walk::for_each_field(row, rp, [&](std::string_view k, od::value& c, const JsonPath& cp) -> Status {
                    if (k == "layout_content") return read_layout_content(c, cp, section.posts);
                    return {};
                });
            });
        }
        if (key == "next_max_id") {
            std::string cursor;
            GK_TRY(walk::read_id(v, p, cursor));
            if (!cursor.empty()) section.next_max_id = std::move(cursor);
            return {};
        }
        if (key == "more_available") return walk::read_flag(v, p, section.more_available);
        return {};
    });
}

Status read_graphql_hashtag(od::value& value, const JsonPath& at, HashtagPage& page) {
    return walk::for_each_field(value, at, [&](std::string_view key, od::value& v, const JsonPath& p) -> Status {
        if (key == "name") return walk::read_string(v, p, page.name);
        if (key == "edge_hashtag_to_media") {
            PostsPage recent;
            std::int64_t count = -1;
            GK_TRY(detail::read_post_connection(v, p, recent, &count));
            if (count >= 0) page.media_count = count;
            page.recent_posts = std::move(recent.items);
            page.next_cursor = std::move(recent.next_cursor);
            page.has_next = recent.has_next;
            return {};
        }
        if (key == "edge_hashtag_to_top_posts") {
            PostsPage top;
            GK_TRY(detail::read_post_connection(v, p, top));
            page.top_posts = std::move(top.items);
            return {};
        }
        return {};
    });
}

}  // namespace

Result<HashtagPage> parse_hashtag(std::string_view body) {
    HashtagPage page;
    bool graphql_found = false;
    bool hashtag_is_null = false;
    bool web_info_found = false;
    bool status_fail = false;
    WebInfoSection top;
    WebInfoSection recent;
    // `data` is either a GraphQL wrapper ({"hashtag": {...}}) or, in
    // web_info, the hashtag itself ({"name", "media_count", "top", "recent"}).
    const auto container = [&](od::value& v, const JsonPath& p) -> Status {
        return walk::for_each_field(v, p, [&](std::string_view key, od::value& d, const JsonPath& dp) -> Status {
            if (key == "hashtag") {
                GK_ASSIGN_OR_RETURN(const od::json_type type, walk::type_of(d, dp, "the hashtag object"));
                if (type == od::json_type::null) {
                    hashtag_is_null = true;
                    return {};
                }
                if (type != od::json_type::object)
                    return walk::expected_at(dp, "the hashtag object", simdjson::SUCCESS, type);
                graphql_found = true;
                return read_graphql_hashtag(d, dp, page);
            }
            if (key == "name") {
                web_info_found = true;
                return walk::read_string(d, dp, page.name);
            }
            if (key == "media_count") {
                std::int64_t count = -1;
                GK_TRY(walk::read_count(d, dp, count));
                if (count >= 0) page.media_count = count;
                return {};
            }
            if (key == "top") return read_web_info_section(d, dp, top);
            if (key == "recent") return read_web_info_section(d, dp, recent);
            return {};
        });
    };
    GK_TRY(walk::walk_document(body, "a hashtag document",
                               [&](std::string_view key, od::value& v, const JsonPath& p) -> Status {
        if (key == "graphql" || key == "data") return container(v, p);
        if (key == "status") return detail::note_status(v, status_fail);
        return {};
    }));
    const JsonPath root;
    const JsonPath data = root.member("data");
    if (!graphql_found && !web_info_found) {
        if (hashtag_is_null) return fail(ErrorCode::not_found, "instagram: no such hashtag (data.hashtag is null)", "data.hashtag");
        const JsonPath hashtag = data.member("hashtag");
        return detail::missing_document(body, status_fail, hashtag, "the hashtag object (or web_info data.name)");
    }
    if (web_info_found) {
        page.top_posts = std::move(top.posts);
        page.recent_posts = std::move(recent.posts);
        // The recent list pages on; when Instagram sends no recent cursor
        // (2024 pages often do not), the top list's cursor is the way on.
        const WebInfoSection& paging = recent.next_max_id ? recent : top;
        page.next_cursor = paging.next_max_id;
        page.has_next = paging.more_available;
    }
    if (page.name.empty()) {
        const JsonPath hashtag = data.member(graphql_found ? "hashtag" : "name");
        const JsonPath name = graphql_found ? hashtag.member("name") : hashtag;
        return walk::expected_at(name, "the hashtag's name");
    }
    return page;
}

}  // namespace gramkit::instagram
