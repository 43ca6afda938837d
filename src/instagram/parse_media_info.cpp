// parse_media_info: /api/v1/media/<id>/info/ and /p/<code>/?__a=1&__d=dis,
// both {"items": [post], "num_results": 1, ...}.
#include "instagram/error_body.hpp"
#include "instagram/parse.hpp"
#include "instagram/post_node.hpp"

namespace gramkit::instagram {

Result<Post> parse_media_info(std::string_view body) {
    using walk::JsonPath;
    namespace od = walk::od;
    Post post;
    bool has_items = false;
    bool has_post = false;
    bool status_fail = false;
    GK_TRY(walk::walk_document(body, "a media info document",
                               [&](std::string_view key, od::value& v, const JsonPath& p) -> Status {
        if (key == "items") {
            GK_ASSIGN_OR_RETURN(const od::json_type type, walk::type_of(v, p, "an array of posts"));
            if (type != od::json_type::array) return walk::expected_at(p, "an array of posts", simdjson::SUCCESS, type);
            has_items = true;
            // The answer is about one media; later items (never seen) are skipped.
            return walk::for_each_element(v, p, [&](std::size_t index, od::value& item, const JsonPath& ip) -> Status {
                if (index != 0) return {};
                has_post = true;
                return detail::read_post(item, ip, post);
            });
        }
        if (key == "status") return detail::note_status(v, status_fail);
        return {};
    }));
    const JsonPath root;
    const JsonPath items = root.member("items");
    if (!has_items) return detail::missing_document(body, status_fail, items, "an array of posts");
    if (!has_post) return fail(ErrorCode::not_found, "instagram: media info has no items (deleted or hidden media)", "items");
    return post;
}

}  // namespace gramkit::instagram
