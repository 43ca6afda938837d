// parse_user_timeline: one page of a user's posts, in the GraphQL, the 2024
// xdt_* and the private API feed shapes.
#include "instagram/error_body.hpp"
#include "instagram/parse.hpp"
#include "instagram/post_node.hpp"

namespace gramkit::instagram {
namespace {

using walk::JsonPath;
namespace od = walk::od;

constexpr std::string_view kXdtTimeline = "xdt_api__v1__feed__user_timeline_graphql_connection";

}  // namespace

Result<PostsPage> parse_user_timeline(std::string_view body) {
    PostsPage page;
    bool found = false;
    bool user_is_null = false;
    bool status_fail = false;
    const auto connection = [&](od::value& v, const JsonPath& p) -> Status {
        GK_ASSIGN_OR_RETURN(const od::json_type type, walk::type_of(v, p, "a post connection"));
        if (type != od::json_type::object) return walk::expected_at(p, "a post connection", simdjson::SUCCESS, type);
        found = true;
        return detail::read_post_connection(v, p, page);
    };
    GK_TRY(walk::walk_document(body, "a user timeline document",
                               [&](std::string_view key, od::value& v, const JsonPath& p) -> Status {
        if (key == "data") {
            return walk::for_each_field(v, p, [&](std::string_view k, od::value& d, const JsonPath& dp) -> Status {
                if (k == kXdtTimeline) return connection(d, dp);
                if (k != "user") return {};
                GK_ASSIGN_OR_RETURN(const od::json_type type, walk::type_of(d, dp, "the user object"));
                if (type == od::json_type::null) {
                    user_is_null = true;
                    return {};
                }
                return walk::for_each_field(d, dp, [&](std::string_view uk, od::value& u, const JsonPath& up) -> Status {
                    if (uk == "edge_owner_to_timeline_media") return connection(u, up);
                    return {};
                });
            });
        }
        // Private API feed: /api/v1/feed/user/<id>/.
        if (key == "items") {
            found = true;
            return detail::read_post_array(v, p, page.items);
        }
        if (key == "next_max_id") {
            std::string cursor;
            GK_TRY(walk::read_id(v, p, cursor));
            if (!cursor.empty()) page.next_cursor = std::move(cursor);
            return {};
        }
        if (key == "more_available") return walk::read_flag(v, p, page.has_next);
        if (key == "status") return detail::note_status(v, status_fail);
        return {};
    }));
    if (!found) {
        if (user_is_null) return fail(ErrorCode::not_found, "instagram: no such user (data.user is null)", "data.user");
        const JsonPath root;
        const JsonPath data = root.member("data");
        const JsonPath user = data.member("user");
        const JsonPath where = user.member("edge_owner_to_timeline_media");
        return detail::missing_document(body, status_fail, where,
                                        "a post connection (or data." + std::string(kXdtTimeline) + ", or items)");
    }
    return page;
}

}  // namespace gramkit::instagram
