// instagram.* operations → the InstagramService (gramkit/instagram.hpp).
// Synchronous: each call performs the request(s) before it returns.
#include "engine/operation_registry.hpp"
#include "engine/ops/instagram_json.hpp"
#include "gramkit/engine.hpp"
#include "gramkit/instagram.hpp"

namespace gramkit::engine {
namespace {

using enum ParamType;

const ParamSpec kAccount{"account_id", integer, true, "the bot account whose session, proxy and quota are used"};

Result<json::Value> login(Engine& e, const Params& p) {
    instagram::LoginRequest r;
    r.account_id = p.integer("account_id");
    r.two_factor_code = p.opt_string("two_factor_code");
    r.two_factor_identifier = p.opt_string("two_factor_identifier");
    GK_ASSIGN_OR_RETURN(auto outcome, e.instagram().login(r));
    return to_json(outcome);
}

Result<json::Value> profile(Engine& e, const Params& p) {
    GK_ASSIGN_OR_RETURN(auto profile, e.instagram().profile(p.integer("account_id"), p.string("username")));
    return to_json(profile);
}

Result<json::Value> posts(Engine& e, const Params& p) {
    instagram::PostsRequest r{p.integer("account_id"), p.string("username"), p.opt_string("cursor")};
    GK_ASSIGN_OR_RETURN(auto page, e.instagram().posts(r));
    return to_json(page);
}

Result<json::Value> hashtag(Engine& e, const Params& p) {
    instagram::HashtagRequest r{p.integer("account_id"), p.string("tag"), p.opt_string("cursor")};
    GK_ASSIGN_OR_RETURN(auto page, e.instagram().hashtag(r));
    return to_json(page);
}

Result<json::Value> media(Engine& e, const Params& p) {
    GK_ASSIGN_OR_RETURN(auto post, e.instagram().media(p.integer("account_id"), p.string("id")));
    return to_json(post);
}

}  // namespace

void register_instagram_operations(OperationRegistry& r) {
    r.add({"instagram.login",
           "Log the account in (password and TOTP seed from its encrypted columns); two_factor_required comes back "
           "as a result to resume with a code.",
           "instagram:login",
           {kAccount,
            {"two_factor_code", string, false, "the code the operator typed in"},
            {"two_factor_identifier", string, false, "resume the two-factor step of an earlier attempt"}},
           "LoginResult", login});
    r.add({"instagram.profile", "A profile by username, with its first page of posts.", "instagram:read",
           {kAccount, {"username", string, true, "the Instagram username"}}, "Profile", profile});
    r.add({"instagram.posts", "One page of a user's posts.", "instagram:read",
           {kAccount, {"username", string, true, "the Instagram username"},
            {"cursor", string, false, "next_cursor of the previous page"}},
           "PostsPage", posts});
    r.add({"instagram.hashtag", "One page of a hashtag's posts (top posts on the first page).", "instagram:read",
           {kAccount, {"tag", string, true, "the hashtag, with or without '#'"},
            {"cursor", string, false, "next_cursor of the previous page"}},
           "HashtagPage", hashtag});
    r.add({"instagram.media", "A post by numeric media id or shortcode.", "instagram:read",
           {kAccount, {"id", string, true, "media id (digits) or shortcode"}}, "Post", media});
}

}  // namespace gramkit::engine
