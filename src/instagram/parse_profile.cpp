// parse_web_profile_info: the profile with its first page of posts.
#include "instagram/error_body.hpp"
#include "instagram/parse.hpp"
#include "instagram/post_node.hpp"

namespace gramkit::instagram {
namespace {

using walk::JsonPath;
namespace od = walk::od;

// Picture URLs are views until the object ends: the HD one wins whatever
// order the keys come in.
struct Pictures {
    std::string_view standard;
    std::string_view hd;
};

Status read_user(od::value& value, const JsonPath& at, Profile& profile) {
    Pictures pictures;
    GK_TRY(walk::for_each_field(value, at, [&](std::string_view key, od::value& v, const JsonPath& p) -> Status {
        // GraphQL web names first, then the private API names of /users/<id>/info/.
        if (key == "id" || key == "pk") return walk::read_id(v, p, profile.id);
        if (key == "username") return walk::read_string(v, p, profile.username);
        if (key == "full_name") return walk::read_string(v, p, profile.full_name);
        if (key == "biography") return walk::read_string(v, p, profile.biography);
        if (key == "edge_followed_by") return walk::read_edge_count(v, p, profile.followers);
        if (key == "follower_count") return walk::read_count(v, p, profile.followers);
        if (key == "edge_follow") return walk::read_edge_count(v, p, profile.following);
        if (key == "following_count") return walk::read_count(v, p, profile.following);
        if (key == "media_count") return walk::read_count(v, p, profile.post_count);
        if (key == "edge_owner_to_timeline_media")
            return detail::read_post_connection(v, p, profile.recent_posts, &profile.post_count);
        if (key == "is_private") return walk::read_flag(v, p, profile.is_private);
        if (key == "is_verified") return walk::read_flag(v, p, profile.is_verified);
        if (key == "profile_pic_url") return walk::read_string_view(v, p, pictures.standard);
        if (key == "profile_pic_url_hd") return walk::read_string_view(v, p, pictures.hd);
        if (key == "hd_profile_pic_url_info") {
            return walk::for_each_field(v, p, [&](std::string_view k, od::value& u, const JsonPath& up) -> Status {
                if (k == "url") return walk::read_string_view(u, up, pictures.hd);
                return {};
            });
        }
        if (key == "external_url") return walk::read_optional_string(v, p, profile.external_url);
        return {};
    }));
    profile.profile_pic_url.assign(!pictures.hd.empty() ? pictures.hd : pictures.standard);
    return {};
}

}  // namespace

Result<Profile> parse_web_profile_info(std::string_view body) {
    Profile profile;
    bool found = false;
    bool user_is_null = false;
    bool status_fail = false;
    const auto user_member = [&](od::value& v, const JsonPath& p) -> Status {
        GK_ASSIGN_OR_RETURN(const od::json_type type, walk::type_of(v, p, "the user object"));
        if (type == od::json_type::null) {
            user_is_null = true;
            return {};
        }
        if (type != od::json_type::object) return walk::expected_at(p, "the user object", simdjson::SUCCESS, type);
        found = true;
        return read_user(v, p, profile);
    };
    GK_TRY(walk::walk_document(body, "a web profile info document",
                               [&](std::string_view key, od::value& v, const JsonPath& p) -> Status {
        if (key == "data" || key == "graphql") {
            return walk::for_each_field(v, p, [&](std::string_view k, od::value& u, const JsonPath& up) -> Status {
                if (k == "user") return user_member(u, up);
                return {};
            });
        }
        if (key == "user") return user_member(v, p);  // private API /users/<id>/info/
        if (key == "status") return detail::note_status(v, status_fail);
        return {};
    }));
    const JsonPath root;
    const JsonPath data = root.member("data");
    const JsonPath user = data.member("user");
    if (!found) {
        if (user_is_null) return fail(ErrorCode::not_found, "instagram: no such user (data.user is null)", "data.user");
        return detail::missing_document(body, status_fail, user, "the user object");
    }
    if (profile.id.empty()) return walk::expected_at(user.member("id"), "the user's id");
    if (profile.username.empty()) return walk::expected_at(user.member("username"), "the user's username");
    return profile;
}

}  // namespace gramkit::instagram
