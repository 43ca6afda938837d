// igsim — request handling (see app.hpp).
#include "app.hpp"

#include <algorithm>
#include <chrono>
#include <exception>

#include "config_json.hpp"
#include "core/json.hpp"
#include "http_util.hpp"
#include "shapes.hpp"

namespace igsim {
namespace {

using gramkit::json::Value;

constexpr std::string_view kAdminPrefix = "/__igsim/";
constexpr std::size_t kProfilePageSize = 12;  // web_profile_info's first page, as on Instagram
constexpr std::size_t kHashtagPageSize = 9;   // tags/web_info: three rows of three
constexpr std::size_t kExplorePageSize = 12;
constexpr std::size_t kMaxPageSize = 50;

Response error(int status, std::string_view message) {
    std::string body;
    gramkit::json::Writer w(body);
    w.begin_object().key("message").value(message).key("status").value("fail").end_object();
    return json_response(status, std::move(body));
}

// Opaque offset cursors: base64("igsim:<offset>").
std::string offset_cursor(std::size_t offset) { return base64_encode("igsim:" + std::to_string(offset)); }

std::optional<std::size_t> parse_offset_cursor(std::string_view cursor) {
    auto text = base64_decode(cursor);
    if (!text || !text->starts_with("igsim:") || text->size() == 6 || text->size() > 20) return std::nullopt;
    std::size_t offset = 0;
    for (char c : std::string_view(*text).substr(6)) {
        if (c < '0' || c > '9') return std::nullopt;
        offset = offset * 10 + static_cast<std::size_t>(c - '0');
    }
    return offset;
}

// A page of `list` from `offset`; the cursor of the next page is made by
// `cursor_for(next_offset)`.
template <class CursorFor>
Page cut(const std::vector<std::size_t>& list, std::size_t offset, std::size_t count, CursorFor cursor_for) {
    Page page;
    page.total = list.size();
    const auto begin = std::min(offset, list.size());
    const auto end = std::min(begin + count, list.size());
    page.posts.assign(list.begin() + static_cast<std::ptrdiff_t>(begin), list.begin() + static_cast<std::ptrdiff_t>(end));
    page.has_next = end < list.size();
    if (page.has_next) page.end_cursor = cursor_for(end);
    return page;
}

Page offset_page(const std::vector<std::size_t>& list, std::size_t offset, std::size_t count) {
    return cut(list, offset, count, offset_cursor);
}

std::string get(const std::map<std::string, std::string>& params, const std::string& key) {
    auto it = params.find(key);
    return it == params.end() ? std::string() : it->second;
}

bool is_get(const Request& r) { return r.method == "GET" || r.method == "HEAD"; }

std::string base_url(const Request& request) { return request.scheme + "://" + request.host; }

// Path segments between a prefix and a suffix: "/api/v1/media/" "<id>" "/info/".
std::optional<std::string_view> middle(std::string_view path, std::string_view prefix, std::string_view suffix) {
    if (!path.starts_with(prefix)) return std::nullopt;
    path.remove_prefix(prefix.size());
    if (!path.ends_with(suffix)) {
        // Instagram tolerates a missing trailing slash.
        if (suffix.ends_with('/') && path.ends_with(suffix.substr(0, suffix.size() - 1)))
            suffix = suffix.substr(0, suffix.size() - 1);
        else
            return std::nullopt;
    }
    path.remove_suffix(suffix.size());
    if (path.empty() || path.find('/') != std::string_view::npos) return std::nullopt;
    return path;
}

}  // namespace

App::App(WorldOptions world, Behaviour behaviour, std::vector<BotAccount> accounts)
    : world_(std::move(world)), media_(world_), initial_behaviour_(behaviour), behaviour_(std::move(behaviour)),
      auth_(world_, world_.options().seed) {
    auth_.add_accounts(accounts);
}

std::int64_t App::now() const {
    if (behaviour_.clock) return *behaviour_.clock;
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Response App::handle(const Request& request) {
    try {
        return dispatch(request);
    } catch (const std::exception& e) {
        return error(500, std::string("igsim internal error: ") + e.what());
    } catch (...) {
        return error(500, "igsim internal error");
    }
}

Response App::dispatch(const Request& request) {
    const auto [path, query] = split_target(request.target);
    if (path.starts_with(kAdminPrefix)) {
        std::lock_guard lock(mutex_);
        return admin(request, path.substr(kAdminPrefix.size()));
    }

    auto params = parse_query(query);
    if (request.method == "POST") {
        const std::string* type = request.header("content-type");
        if (type && type->starts_with("application/x-www-form-urlencoded"))
            for (auto& [k, v] : parse_query(request.body)) params.insert_or_assign(k, v);
    }
    const std::string* cookie_header = request.header("cookie");
    const auto cookies = cookie_header ? parse_cookies(*cookie_header) : std::map<std::string, std::string>{};
    const auto session_cookie = cookies.find("sessionid");
    const std::string session_key = session_cookie == cookies.end() ? "anonymous" : session_cookie->second;

    Misbehaviour::Transport transport;
    bool gzip = false;
    Response response;
    {
        std::unique_lock lock(mutex_);
        ++total_requests_;
        ++by_path_[std::string(path)];
        ++by_session_[session_key];
        transport = misbehaviour_.next_request(behaviour_);
        gzip = behaviour_.gzip;
        if (transport.delivery == Delivery::drop) {
            response.delivery = Delivery::drop;
            return response;
        }
        if (path.starts_with("/media/")) {
            lock.unlock();  // generating bytes may take milliseconds; the world is immutable
            response = media(request, path.substr(7));
        } else if (auto throttled = misbehaviour_.throttle(behaviour_, session_key, now())) {
            response = std::move(*throttled);
        } else {
            response = api(request, path, params, cookies);
        }
    }
    response.delivery = transport.delivery;
    response.delay_ms = transport.delay_ms;
    if (request.method == "HEAD") response.head_only = true;
    if (gzip && response.status != 206) apply_gzip(request, response);
    {
        std::lock_guard lock(mutex_);
        ++by_status_[response.status];
    }
    return response;
}

// gzip for text bodies when the client asked for it.
void App::apply_gzip(const Request& request, Response& response) const {
    const std::string* accept = request.header("accept-encoding");
    if (!accept || !accepts_gzip(*accept) || response.body.empty()) return;
    const auto type = std::ranges::find(response.headers, std::string("Content-Type"),
                                        &std::pair<std::string, std::string>::first);
    if (type == response.headers.end() ||
        !(type->second.starts_with("application/json") || type->second.starts_with("text/")))
        return;
    response.body = gzip_compress(response.body);
    response.header("Content-Encoding", "gzip");
    response.header("Vary", "Accept-Encoding");
}

Response App::api(const Request& request, std::string_view path, const std::map<std::string, std::string>& params,
                  const std::map<std::string, std::string>& cookies) {
    if (path == "/") {
        if (!is_get(request)) return error(405, "method not allowed");
        return auth_.home_page(request);
    }
    if (path == "/api/v1/web/accounts/login/ajax/" || path == "/accounts/login/ajax/") {
        if (request.method != "POST") return error(405, "method not allowed");
        return auth_.login(request, params, cookies);
    }
    if (path == "/api/v1/web/accounts/login/ajax/two_factor/" || path == "/accounts/login/ajax/two_factor/") {
        if (request.method != "POST") return error(405, "method not allowed");
        return auth_.two_factor(request, params, cookies, now());
    }

    // Everything below reads the world and needs a session.
    const auto viewer = auth_.session(cookies);
    if (!viewer && !behaviour_.allow_anonymous) return json_response(401, std::string(bodies::kLoginRequired));
    if (!behaviour_.feedback_required.empty()) {
        const auto session = cookies.find("sessionid");
        for (const auto& who : behaviour_.feedback_required)
            if ((viewer && viewer->username == who) || (session != cookies.end() && session->second == who))
                return json_response(400, std::string(bodies::kFeedbackRequired));
    }
    const std::string viewer_id = viewer ? viewer->user_id : std::string();
    const Shapes shapes(world_, base_url(request));

    if (path.starts_with("/graphql/query")) {
        if (path != "/graphql/query" && path != "/graphql/query/") return error(404, "Page not found");
        if (!is_get(request) && request.method != "POST") return error(405, "method not allowed");
        return graphql(request, params, viewer_id);
    }
    if (!is_get(request)) return error(405, "method not allowed");

    if (path == "/api/v1/users/web_profile_info/" || path == "/api/v1/users/web_profile_info") {
        if (!request.header("x-ig-app-id")) return json_response(400, std::string(bodies::kUserAgentMismatch));
        const User* user = world_.find_user_by_name(get(params, "username"));
        if (!user) return json_response(404, std::string(bodies::kUserNotFound));
        const auto page = user->is_private ? Page{{}, user->posts.size(), false, {}}
                                           : offset_page(user->posts, 0, kProfilePageSize);
        return json_response(200, shapes.web_profile_info(*user, page));
    }
    if (auto id = middle(path, "/api/v1/media/", "/info/")) {
        const Post* post = world_.find_post_by_pk(*id);
        if (!post) return json_response(404, std::string(bodies::kMediaNotFound));
        return json_response(200, shapes.media_info(*post));
    }
    if (auto code = middle(path, "/p/", "/")) {
        const Post* post = world_.find_post_by_shortcode(*code);
        if (!post) return json_response(404, std::string(bodies::kMediaNotFound));
        if (get(params, "__a") != "1") {
            Response r;
            r.header("Content-Type", "text/html; charset=utf-8");
            r.body = "<!DOCTYPE html><html><head><title>Instagram</title></head><body>post " + post->shortcode +
                     "</body></html>\n";
            return r;
        }
        return json_response(200, shapes.shortcode_media(*post));
    }
    if (path == "/api/v1/tags/web_info/" || path == "/api/v1/tags/web_info") {
        const Hashtag* tag = world_.find_hashtag(get(params, "tag_name"));
        if (!tag) return json_response(404, std::string(bodies::kPageNotFound));
        std::size_t offset = 0;
        if (const auto max_id = get(params, "max_id"); !max_id.empty()) {
            auto parsed = parse_offset_cursor(max_id);
            if (!parsed) return error(400, "invalid max_id");
            offset = *parsed;
        }
        return json_response(200, shapes.tags_web_info(*tag, offset_page(tag->top, offset, kHashtagPageSize),
                                                       offset_page(tag->recent, offset, kHashtagPageSize)));
    }
    if (auto name = middle(path, "/explore/tags/", "/")) {
        const Hashtag* tag = world_.find_hashtag(*name);
        if (!tag) return json_response(404, std::string(bodies::kPageNotFound));
        if (get(params, "__a") != "1") return error(400, "igsim serves only the ?__a=1 form of this page");
        std::size_t offset = 0;
        if (const auto max_id = get(params, "max_id"); !max_id.empty()) {
            auto parsed = parse_offset_cursor(max_id);
            if (!parsed) return error(400, "invalid max_id");
            offset = *parsed;
        }
        return json_response(200, shapes.hashtag_graphql(*tag, offset_page(tag->recent, offset, kExplorePageSize),
                                                         "graphql"));
    }
    return json_response(404, std::string(bodies::kPageNotFound));
}

Response App::graphql(const Request& request, const std::map<std::string, std::string>& params,
                      const std::string& viewer_id) {
    const Shapes shapes(world_, base_url(request));
    Value variables = Value::object();
    if (const auto text = get(params, "variables"); !text.empty()) {
        auto parsed = gramkit::json::parse(text);
        if (!parsed || !parsed->is_object()) return error(400, "variables must be a JSON object");
        variables = std::move(*parsed);
    }
    // Page size: "first", or the 2024 web app's data.count.
    std::size_t first = kProfilePageSize;
    const Value* first_value = variables.find("first");
    if (const Value* data = variables.find("data"); (!first_value || first_value->is_null()) && data)
        first_value = data->find("count");
    if (first_value && !first_value->is_null()) {
        if (!first_value->is_int() || first_value->as_int() < 1) return error(400, "'first' must be a positive integer");
        first = std::min<std::size_t>(static_cast<std::size_t>(first_value->as_int()), kMaxPageSize);
    }
    std::string after;
    if (const Value* a = variables.find("after"); a && !a->is_null()) {
        if (!a->is_string()) return error(400, "'after' must be a string");
        after = a->as_string();
    }
    const Value* username = variables.find("username");
    if (!get(params, "doc_id").empty() || username) {
        // 2024 xdt timeline: cursors are "<last pk>_<user id>".
        if (!username || !username->is_string()) return error(400, "variables.username is required");
        const User* user = world_.find_user_by_name(username->as_string());
        if (!user) return json_response(404, std::string(bodies::kUserNotFound));
        std::size_t offset = 0;
        if (!after.empty()) {
            const auto underscore = after.find('_');
            const auto pk = after.substr(0, underscore);
            auto it = std::ranges::find_if(user->posts, [&](std::size_t i) { return world_.posts()[i].pk == pk; });
            if (underscore == std::string::npos || after.substr(underscore + 1) != user->id || it == user->posts.end())
                return error(400, "invalid cursor");
            offset = static_cast<std::size_t>(it - user->posts.begin()) + 1;
        }
        const std::vector<std::size_t> none;
        const auto page = cut(user->is_private ? none : user->posts, offset, first, [&](std::size_t next) {
            return world_.posts()[user->posts[next - 1]].pk + "_" + user->id;
        });
        return json_response(200, shapes.timeline_xdt(page, viewer_id));
    }
    if (get(params, "query_hash").empty() && get(params, "query_id").empty())
        return error(400, "query_hash or doc_id is required");
    std::size_t offset = 0;
    if (!after.empty()) {
        auto parsed = parse_offset_cursor(after);
        if (!parsed) return error(400, "invalid cursor");
        offset = *parsed;
    }
    if (const Value* id = variables.find("id"); id && id->is_string()) {
        const User* user = world_.find_user_by_id(id->as_string());
        if (!user) return json_response(200, R"({"data":{"user":null},"status":"ok"})");
        const std::vector<std::size_t> none;
        return json_response(200, shapes.timeline_graphql(offset_page(user->is_private ? none : user->posts, offset, first)));
    }
    if (const Value* tag_name = variables.find("tag_name"); tag_name && tag_name->is_string()) {
        const Hashtag* tag = world_.find_hashtag(tag_name->as_string());
        if (!tag) return json_response(200, R"({"data":{"hashtag":null},"status":"ok"})");
        return json_response(200, shapes.hashtag_graphql(*tag, offset_page(tag->recent, offset, first), "data"));
    }
    return error(400, "variables need \"id\" (user posts) or \"tag_name\" (hashtag media)");
}

Response App::media(const Request& request, std::string_view name) {
    if (!is_get(request)) return error(405, "method not allowed");
    auto file = media_.find(name);
    if (!file) return error(404, "no such media file");
    const std::string& bytes = *file->bytes;
    Response r;
    r.header("Content-Type", file->content_type);
    r.header("Accept-Ranges", "bytes");
    r.header("Cache-Control", "max-age=1209600");
    if (const std::string* range = request.header("range")) {
        ByteRange br;
        switch (parse_range(*range, bytes.size(), br)) {
            case RangeResult::satisfiable:
                r.status = 206;
                r.header("Content-Range", "bytes " + std::to_string(br.first) + "-" + std::to_string(br.last) + "/" +
                                              std::to_string(bytes.size()));
                r.body = bytes.substr(br.first, br.last - br.first + 1);
                return r;
            case RangeResult::unsatisfiable:
                r.status = 416;
                r.header("Content-Range", "bytes */" + std::to_string(bytes.size()));
                return r;
            case RangeResult::none:
                break;
        }
    }
    r.body = bytes;
    return r;
}

Response App::admin(const Request& request, std::string_view path) {
    if (path == "stats" && is_get(request)) return json_response(200, stats_json());
    if (path == "world" && is_get(request)) return json_response(200, world_json());
    if (path == "config" && is_get(request)) return json_response(200, behaviour_to_json(behaviour_));
    if (path == "reset" && request.method == "POST") {
        // Counters, faults and the clock go back to the startup state; the
        // world, accounts and sessions stay.
        behaviour_ = initial_behaviour_;
        misbehaviour_.reset();
        total_requests_ = 0;
        by_path_.clear();
        by_session_.clear();
        by_status_.clear();
        return json_response(200, R"({"status":"ok"})");
    }
    if ((path == "config" || path == "accounts") && request.method == "POST") {
        auto parsed = gramkit::json::parse(request.body);
        if (!parsed) return error(400, "body must be JSON: " + parsed.error().message);
        std::vector<BotAccount> accounts;
        if (path == "config") {
            auto status = apply_config(*parsed, behaviour_, accounts);
            if (!status) return error(400, status.error().message);
        } else {
            auto list = parse_accounts(*parsed);
            if (!list) return error(400, list.error().message);
            accounts = std::move(*list);
        }
        auth_.add_accounts(accounts);
        return json_response(200, behaviour_to_json(behaviour_));
    }
    return error(404, "unknown admin endpoint (stats, world, config, accounts, reset)");
}

std::string App::stats_json() const {
    std::string out;
    gramkit::json::Writer w(out);
    w.begin_object().key("total").value(total_requests_);
    w.key("by_path").begin_object();
    for (const auto& [k, v] : by_path_) w.key(k).value(v);
    w.end_object().key("by_session").begin_object();
    for (const auto& [k, v] : by_session_) w.key(k).value(v);
    w.end_object().key("by_status").begin_object();
    for (const auto& [k, v] : by_status_) w.key(std::to_string(k)).value(v);
    w.end_object().end_object();
    return out;
}

std::string App::world_json() const {
    std::string out;
    gramkit::json::Writer w(out);
    w.begin_object().key("seed").value(world_.options().seed);
    w.key("users").begin_array();
    for (const auto& u : world_.users()) {
        w.begin_object().key("id").value(u.id).key("username").value(u.username).key("is_private").value(u.is_private)
            .key("posts").value(u.posts.size()).end_object();
    }
    w.end_array().key("hashtags").begin_array();
    for (const auto& t : world_.hashtags())
        w.begin_object().key("name").value(t.name).key("media_count").value(t.recent.size()).end_object();
    w.end_array().key("accounts").begin_array();
    for (const auto& a : auth_.accounts())
        w.begin_object().key("username").value(a.username).key("outcome").value(to_string(a.outcome)).end_object();
    w.end_array().end_object();
    return out;
}

}  // namespace igsim
