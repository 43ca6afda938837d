// gramkit CLI — `gramkit ig login|profile|posts|hashtag|media`: Instagram
// requests made on behalf of one bot account, through the typed
// InstagramService (the account's session, sticky proxy and rate limits).
//
// The password is never asked for here: login uses the one stored with the
// account. Cursors are opaque text; they are printed as they came so that a
// listing can be resumed with --cursor.
#include <CLI/CLI.hpp>

#include <cstddef>
#include <cstdint>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "context.hpp"
#include "output.hpp"
#include "values.hpp"

namespace gramkit::cli {
namespace {

namespace ig = gramkit::instagram;

constexpr std::size_t kCaptionPreviewChars = 60;
constexpr std::size_t kDefaultPostLimit = 12;

std::string join(const std::vector<std::string>& items, std::string_view sep) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += sep;
        out += items[i];
    }
    return out;
}

std::string account_label(const Account& a) { return std::to_string(a.id) + " (" + a.username + ")"; }

// One line of a caption, cut after `max_chars` code points. Line breaks
// become spaces so that a post stays on one table row.
std::string caption_preview(std::string_view caption, std::size_t max_chars) {
    std::string out;
    std::size_t chars = 0;
    for (std::size_t i = 0; i < caption.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(caption[i]);
        const bool starts_char = (c & 0xc0) != 0x80;
        if (starts_char) {
            if (chars == max_chars) break;
            ++chars;
        }
        out.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : static_cast<char>(c));
    }
    return out;
}

Json media_url_json(const ig::MediaUrl& m) {
    return Json::object()
        .set("url", m.url)
        .set("width", m.width)
        .set("height", m.height)
        .set("kind", ig::to_string(m.kind));
}

Json post_json(const ig::Post& p) {
    Json media = Json::array();
    for (const auto& m : p.media) media.push(media_url_json(m));
    return Json::object()
        .set("id", p.id)
        .set("shortcode", p.shortcode)
        .set("owner_id", p.owner_id.empty() ? Json() : Json(p.owner_id))
        .set("owner_username", p.owner_username)
        .set("taken_at", p.taken_at)
        .set("caption", p.caption)
        .set("hashtags", Json::array_of(p.hashtags))
        .set("mentions", Json::array_of(p.mentions))
        .set("like_count", p.like_count)
        .set("comment_count", p.comment_count)
        .set("media_type", ig::to_string(p.media_type))
        .set("is_video", p.is_video)
        .set("media", std::move(media));
}

Json posts_json(const std::vector<ig::Post>& posts) {
    Json list = Json::array();
    for (const auto& p : posts) list.push(post_json(p));
    return list;
}

// The one-line-per-post listing shared by posts, hashtag and profile.
void print_post_table(const std::vector<ig::Post>& posts) {
    Table t({"SHORTCODE", "TAKEN AT", "LIKES", "MEDIA", "CAPTION"});
    for (const auto& p : posts) {
        t.add({p.shortcode, format_time(p.taken_at), std::to_string(p.like_count), std::to_string(p.media.size()),
               caption_preview(p.caption, kCaptionPreviewChars)});
    }
    t.print(std::cout);
}

// --- login --------------------------------------------------------------------

struct LoginOptions {
    std::string account;
    std::optional<std::string> code;
    std::optional<std::string> identifier;
};

void run_login(Context& ctx, const LoginOptions& o) {
    const Account a = ctx.find_account(o.account);
    ig::LoginRequest request;
    request.account_id = a.id;
    request.two_factor_code = o.code;
    request.two_factor_identifier = o.identifier;
    // Every refusal (bad password, checkpoint, cooldown, ...) arrives as an
    // error and has already been applied to the account by the library.
    const ig::LoginResult r = unwrap(ctx.engine().instagram().login(request));

    std::vector<std::string> methods;
    for (auto m : r.two_factor_methods) methods.emplace_back(ig::to_string(m));
    if (ctx.json()) {
        Json j = Json::object()
                     .set("account_id", a.id)
                     .set("username", a.username)
                     .set("outcome", ig::to_string(r.kind))
                     .set("http_status", r.http_status)
                     .set("message", r.message)
                     .set("user_id", r.user_id);
        if (r.kind == ig::ApiErrorKind::two_factor_required) {
            j.set("two_factor_identifier", r.two_factor_identifier).set("two_factor_methods", Json::array_of(methods));
        }
        print_json(j);
        return;
    }
    if (r.kind == ig::ApiErrorKind::two_factor_required) {
        // Not an error: the login is half done and waits for the operator.
        const std::string identifier = r.two_factor_identifier.value_or("");
        std::cout << "account " << account_label(a) << ": Instagram asks for a two-factor code";
        if (!methods.empty()) std::cout << " (" << join(methods, ", ") << ")";
        std::cout << "\nidentifier: " << sanitize(identifier) << "\nresume with: gramkit ig login "
                  << sanitize(a.username) << " --identifier " << sanitize(identifier) << " --code CODE\n";
        return;
    }
    std::cout << "logged in account " << account_label(a);
    if (r.user_id) std::cout << " as Instagram user " << sanitize(*r.user_id);
    std::cout << '\n';
}

// --- profile ------------------------------------------------------------------

void run_profile(Context& ctx, const std::string& account, const std::string& username) {
    const Account a = ctx.find_account(account);
    const ig::Profile p = unwrap(ctx.engine().instagram().profile(a.id, username));
    if (ctx.json()) {
        print_json(Json::object()
                       .set("id", p.id)
                       .set("username", p.username)
                       .set("full_name", p.full_name)
                       .set("biography", p.biography)
                       .set("followers", p.followers)
                       .set("following", p.following)
                       .set("post_count", p.post_count)
                       .set("is_private", p.is_private)
                       .set("is_verified", p.is_verified)
                       .set("profile_pic_url", p.profile_pic_url)
                       .set("external_url", p.external_url)
                       .set("recent_posts", posts_json(p.recent_posts.items))
                       .set("next_cursor", p.recent_posts.next_cursor)
                       .set("has_next", p.recent_posts.has_next));
        return;
    }
    std::string recent = std::to_string(p.recent_posts.items.size()) + " in this answer";
    if (p.is_private && p.recent_posts.items.empty()) recent += " (a private profile shows none)";
    print_fields(std::cout, {
                                {"id", p.id},
                                {"username", p.username},
                                {"full name", p.full_name.empty() ? "-" : p.full_name},
                                {"biography", p.biography.empty() ? "-" : caption_preview(p.biography, 200)},
                                {"followers", std::to_string(p.followers)},
                                {"following", std::to_string(p.following)},
                                {"posts", std::to_string(p.post_count)},
                                {"private", p.is_private ? "yes" : "no"},
                                {"verified", p.is_verified ? "yes" : "no"},
                                {"external url", p.external_url.value_or("-")},
                                {"picture", p.profile_pic_url.empty() ? "-" : p.profile_pic_url},
                                {"recent posts", recent},
                            });
}

// --- posts --------------------------------------------------------------------

struct PostsOptions {
    std::string account;
    std::string username;
    std::size_t limit = kDefaultPostLimit;
    std::optional<std::string> cursor;
};

void run_posts(Context& ctx, const PostsOptions& o) {
    const Account a = ctx.find_account(o.account);
    auto& instagram = ctx.engine().instagram();

    std::vector<ig::Post> posts;
    std::optional<std::string> cursor = o.cursor;
    // Where to resume. A page cut short by --limit is fetched again from its
    // own cursor (its first `repeated` posts were already shown), so that
    // resuming never skips a post.
    std::optional<std::string> resume_cursor;
    std::size_t repeated = 0;
    bool more = false;
    for (;;) {
        ig::PostsPage page = unwrap(instagram.posts(ig::PostsRequest{a.id, o.username, cursor}));
        const std::size_t room = o.limit - posts.size();
        if (page.items.size() > room) {
            posts.insert(posts.end(), std::make_move_iterator(page.items.begin()),
                         std::make_move_iterator(page.items.begin() + static_cast<std::ptrdiff_t>(room)));
            resume_cursor = cursor;
            repeated = room;
            more = true;
            break;
        }
        posts.insert(posts.end(), std::make_move_iterator(page.items.begin()),
                     std::make_move_iterator(page.items.end()));
        // An empty page, or a cursor that does not move, would loop forever.
        const bool advances =
            page.has_next && page.next_cursor && page.next_cursor != cursor && !page.items.empty();
        if (!advances) break;
        if (posts.size() == o.limit) {
            resume_cursor = page.next_cursor;
            more = true;
            break;
        }
        cursor = std::move(page.next_cursor);
    }

    if (ctx.json()) {
        print_json(Json::object()
                       .set("account_id", a.id)
                       .set("username", o.username)
                       .set("posts", posts_json(posts))
                       .set("has_next", more)
                       .set("next_cursor", more ? resume_cursor : std::nullopt)
                       .set("next_cursor_repeats", more ? repeated : std::size_t{0}));
        return;
    }
    print_post_table(posts);
    std::cout << posts.size() << (posts.size() == 1 ? " post" : " posts") << " of " << sanitize(o.username);
    if (!more) {
        std::cout << "; no more\n";
    } else if (!resume_cursor) {
        std::cout << "; more: run again with a larger --limit\n";
    } else {
        std::cout << "; more: --cursor " << sanitize(*resume_cursor);
        if (repeated) std::cout << " (its page starts with the last " << repeated << " above)";
        std::cout << '\n';
    }
}

// --- hashtag ------------------------------------------------------------------

void run_hashtag(Context& ctx, const std::string& account, const std::string& tag,
                 const std::optional<std::string>& cursor) {
    const Account a = ctx.find_account(account);
    ig::HashtagRequest request{a.id, tag, cursor};
    const ig::HashtagPage h = unwrap(ctx.engine().instagram().hashtag(request));
    if (ctx.json()) {
        print_json(Json::object()
                       .set("name", h.name)
                       .set("media_count", h.media_count)
                       .set("top_posts", posts_json(h.top_posts))
                       .set("recent_posts", posts_json(h.recent_posts))
                       .set("next_cursor", h.next_cursor)
                       .set("has_next", h.has_next));
        return;
    }
    print_fields(std::cout, {
                                {"hashtag", "#" + h.name},
                                {"posts", h.media_count ? std::to_string(*h.media_count) : "-"},
                                {"next page", h.has_next && h.next_cursor ? "--cursor " + *h.next_cursor : "-"},
                            });
    if (!h.top_posts.empty()) {
        std::cout << "\ntop posts\n";
        print_post_table(h.top_posts);
    }
    if (!h.recent_posts.empty()) {
        std::cout << "\nrecent posts\n";
        print_post_table(h.recent_posts);
    }
}

// --- media --------------------------------------------------------------------

void run_media(Context& ctx, const std::string& account, const std::string& id_or_shortcode) {
    const Account a = ctx.find_account(account);
    const ig::Post p = unwrap(ctx.engine().instagram().media(a.id, id_or_shortcode));
    if (ctx.json()) {
        print_json(post_json(p));
        return;
    }
    std::string owner = p.owner_username.value_or("");
    if (!p.owner_id.empty()) owner += owner.empty() ? p.owner_id : " (" + p.owner_id + ")";
    print_fields(std::cout, {
                                {"id", p.id},
                                {"shortcode", p.shortcode},
                                {"owner", owner.empty() ? "-" : owner},
                                {"taken at", format_time(p.taken_at)},
                                {"type", std::string(ig::to_string(p.media_type))},
                                {"likes", std::to_string(p.like_count)},
                                {"comments", std::to_string(p.comment_count)},
                                {"hashtags", p.hashtags.empty() ? "-" : join(p.hashtags, ",")},
                                {"mentions", p.mentions.empty() ? "-" : join(p.mentions, ",")},
                                {"caption", p.caption.empty() ? "-" : caption_preview(p.caption, p.caption.size())},
                            });
    if (!p.media.empty()) {
        std::cout << '\n';
        Table t({"#", "KIND", "SIZE", "URL"});
        for (std::size_t i = 0; i < p.media.size(); ++i) {
            const auto& m = p.media[i];
            const std::string size =
                m.width && m.height ? std::to_string(m.width) + "x" + std::to_string(m.height) : "-";
            t.add({std::to_string(i + 1), std::string(ig::to_string(m.kind)), size, m.url});
        }
        t.print(std::cout);
    }
}

}  // namespace

void register_instagram_commands(CLI::App& app, Context& ctx) {
    auto* group = app.add_subcommand("ig", "Talk to Instagram on behalf of an account (login and public reads)");
    group->require_subcommand(1);
    {
        auto o = std::make_shared<LoginOptions>();
        auto* cmd = group->add_subcommand("login", "Log the account in with its stored password (and TOTP seed)");
        cmd->add_option("ACCOUNT", o->account, "Account id or username")->required();
        cmd->add_option("--code", o->code, "Two-factor code (from the app or SMS)");
        cmd->add_option("--identifier", o->identifier,
                        "Resume the two-factor step an earlier 'ig login' started (the identifier it printed)");
        cmd->callback([&ctx, o] { run_login(ctx, *o); });
    }
    {
        auto account = std::make_shared<std::string>();
        auto username = std::make_shared<std::string>();
        auto* cmd = group->add_subcommand("profile", "A public profile by username");
        cmd->add_option("ACCOUNT", *account, "Account id or username")->required();
        cmd->add_option("USERNAME", *username, "Instagram username")->required();
        cmd->callback([&ctx, account, username] { run_profile(ctx, *account, *username); });
    }
    {
        auto o = std::make_shared<PostsOptions>();
        auto* cmd = group->add_subcommand("posts", "A user's posts, newest first, following pages up to --limit");
        cmd->add_option("ACCOUNT", o->account, "Account id or username")->required();
        cmd->add_option("USERNAME", o->username, "Instagram username")->required();
        cmd->add_option("--limit", o->limit, "Most posts to list (1..10000)")
            ->check(CLI::Range(std::size_t{1}, std::size_t{10000}))
            ->capture_default_str();
        cmd->add_option("--cursor", o->cursor, "Start at this page (the cursor an earlier listing printed)");
        cmd->callback([&ctx, o] { run_posts(ctx, *o); });
    }
    {
        auto account = std::make_shared<std::string>();
        auto tag = std::make_shared<std::string>();
        auto cursor = std::make_shared<std::optional<std::string>>();
        auto* cmd = group->add_subcommand("hashtag", "One page of a hashtag: top posts (first page) and recent posts");
        cmd->add_option("ACCOUNT", *account, "Account id or username")->required();
        cmd->add_option("TAG", *tag, "Hashtag, with or without '#'")->required();
        cmd->add_option("--cursor", *cursor, "Next page (the cursor an earlier page printed)");
        cmd->callback([&ctx, account, tag, cursor] { run_hashtag(ctx, *account, *tag, *cursor); });
    }
    {
        auto account = std::make_shared<std::string>();
        auto id = std::make_shared<std::string>();
        auto* cmd = group->add_subcommand("media", "One post by numeric media id or shortcode");
        cmd->add_option("ACCOUNT", *account, "Account id or username")->required();
        cmd->add_option("ID_OR_SHORTCODE", *id, "Media id (digits) or the code in /p/<code>/")->required();
        cmd->callback([&ctx, account, id] { run_media(ctx, *account, *id); });
    }
}

}  // namespace gramkit::cli
