// parse_shortcode_media: a post by shortcode, GraphQL style
// (graphql.shortcode_media, data.shortcode_media, data.xdt_shortcode_media).
#include "instagram/error_body.hpp"
#include "instagram/parse.hpp"
#include "instagram/post_node.hpp"

namespace gramkit::instagram {

Result<Post> parse_shortcode_media(std::string_view body) {
    using walk::JsonPath;
    namespace od = walk::od;
    Post post;
    bool found = false;
    bool media_is_null = false;
    bool status_fail = false;
    const auto media_member = [&](od::value& v, const JsonPath& p) -> Status {
        GK_ASSIGN_OR_RETURN(const od::json_type type, walk::type_of(v, p, "a post object"));
        if (type == od::json_type::null) {
            media_is_null = true;
            return {};
        }
        found = true;
        return detail::read_post(v, p, post);
    };
    GK_TRY(walk::walk_document(body, "a shortcode media document",
                               [&](std::string_view key, od::value& v, const JsonPath& p) -> Status {
        if (key == "graphql" || key == "data") {
            return walk::for_each_field(v, p, [&](std::string_view k, od::value& m, const JsonPath& mp) -> Status {
                if (k == "shortcode_media" || k == "xdt_shortcode_media") return media_member(m, mp);
                return {};
            });
        }
        if (key == "status") return detail::note_status(v, status_fail);
        return {};
    }));
    if (!found) {
        if (media_is_null) return fail(ErrorCode::not_found, "instagram: no such post (shortcode_media is null)", "data.shortcode_media");
        const JsonPath root;
        const JsonPath graphql = root.member("graphql");
        const JsonPath where = graphql.member("shortcode_media");
        return detail::missing_document(body, status_fail, where,
                                        "a post object (or data.shortcode_media / data.xdt_shortcode_media)");
    }
    return post;
}

}  // namespace gramkit::instagram
