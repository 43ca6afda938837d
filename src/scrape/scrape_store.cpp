// gramkit::scrape — ScrapeStore over the SQL driver (scrape_store.hpp).
// Every statement is the same text on SQLite (≥ 3.39 for IS NOT DISTINCT
// FROM) and PostgreSQL; upserts use the shared ON CONFLICT syntax.
#include "scrape/scrape_store.hpp"

#include <zlib.h>

#include <limits>
#include <tuple>

#include "core/json.hpp"
#include "gramkit/crypto.hpp"
#include "net/content_decoding.hpp"
#include "scrape/options_json.hpp"
#include "storage/sql_repositories.hpp"

namespace gramkit::scrape {
namespace {

using storage::Connection;
using storage::Param;
using storage::Row;
using namespace storage::sql_repo;

constexpr std::string_view kTaskColumns =
    "id, kind, target, options, schedule_id, state, pages, items, cursor, run_seq, run_page, run_seen, run_new, "
    "run_accounts, run_started_at, current_job_id, account_id, last_run, last_error, created_at, updated_at, run_token";

Result<TaskRow> decode_task(const Row& r) {
    TaskRow row;
    Task& t = row.task;
    t.id = r.i64(0);
    GK_ASSIGN_OR_RETURN(t.kind, task_kind_from_string(r.view(1)));
    t.target = r.text(2);
    auto options = json::parse(r.view(3));
    if (!options) return fail(ErrorCode::internal, "scrape_tasks.options of task " + std::to_string(t.id) + " is not JSON");
    auto decoded = options_from_json(*options);
    if (!decoded) return fail(ErrorCode::internal, "scrape_tasks.options of task " + std::to_string(t.id) + ": " +
                                                      decoded.error().message);
    t.options = *decoded;
    t.schedule_id = r.opt_i64(4);
    GK_ASSIGN_OR_RETURN(t.state, task_state_from_string(r.view(5)));
    t.pages = r.i64(6);
    t.items = r.i64(7);
    t.cursor = r.opt_text(8);
    row.run_seq = r.i64(9);
    row.run_page = r.i64(10);
    row.run_seen = r.i64(11);
    row.run_new = r.i64(12);
    row.run_accounts = r.text(13);
    t.run_started_at = r.opt_time(14);
    t.current_job_id = r.opt_i64(15);
    t.account_id = r.opt_i64(16);
    t.last_run = r.opt_text(17);
    t.last_error = r.opt_text(18);
    t.created_at = r.time(19);
    t.updated_at = r.time(20);
    row.run_token = r.opt_i64(21);
    return row;
}

Error task_not_found(std::int64_t id) { return not_found("scrape task", id); }

Result<TaskRow> load_task(Connection& c, std::int64_t id, bool lock = false) {
    const std::string sql = "SELECT " + std::string(kTaskColumns) + " FROM scrape_tasks WHERE id = $1" +
                            std::string(lock ? row_lock_suffix(c.dialect()) : "");
    GK_ASSIGN_OR_RETURN(auto row, query_optional<TaskRow>(c, sql, params_of({id}), decode_task));
    if (!row) return fail(task_not_found(id));
    return std::move(*row);
}

std::string strings_json(const std::vector<std::string>& items) {
    std::string out;
    json::Writer w(out);
    w.begin_array();
    for (const auto& s : items) w.value(s);
    w.end_array();
    return out;
}

std::vector<std::string> strings_from_json(std::string_view text) {
    std::vector<std::string> out;
    auto v = json::parse(text);
    if (!v || !v->is_array()) return out;
    for (const auto& e : v->as_array())
        if (e.is_string()) out.push_back(e.as_string());
    return out;
}

std::string media_json(const std::vector<instagram::MediaUrl>& media) {
    std::string out;
    json::Writer w(out);
    w.begin_array();
    for (const auto& m : media) {
        w.begin_object()
            .key("url").value(m.url)
            .key("width").value(m.width)
            .key("height").value(m.height)
            .key("kind").value(instagram::to_string(m.kind))
            .end_object();
    }
    w.end_array();
    return out;
}

// Inserts the task item; true when it is new to the task.
Result<bool> insert_item(Connection& c, std::int64_t task_id, std::string_view type, std::string_view item_id,
                         std::int64_t seq, Timestamp now) {
    GK_ASSIGN_OR_RETURN(std::int64_t n,
                        exec(c,
                             "INSERT INTO scrape_task_items (task_id, item_type, item_id, seq, first_seen_at) "
                             "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (task_id, item_type, item_id) DO NOTHING",
                             {task_id, type, item_id, seq, now}));
    return n > 0;
}

Status upsert_post(Connection& c, const instagram::Post& p, Timestamp now) {
    const std::string urls = media_json(p.media);
    const std::string tags = strings_json(p.hashtags);
    const std::string mentions = strings_json(p.mentions);
    GK_TRY(exec(c,
                "INSERT INTO scrape_posts (id, shortcode, owner_id, owner_username, caption, taken_at, like_count, "
                "comment_count, media_type, media_urls, hashtags, mentions, first_seen_at, last_seen_at) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) "
                "ON CONFLICT (id) DO UPDATE SET shortcode = excluded.shortcode, "
                "owner_id = CASE WHEN excluded.owner_id <> '' THEN excluded.owner_id ELSE scrape_posts.owner_id END, "
                "owner_username = COALESCE(excluded.owner_username, scrape_posts.owner_username), "
                "caption = excluded.caption, taken_at = excluded.taken_at, like_count = excluded.like_count, "
                "comment_count = excluded.comment_count, media_type = excluded.media_type, "
                "media_urls = excluded.media_urls, hashtags = excluded.hashtags, mentions = excluded.mentions, "
                "last_seen_at = excluded.last_seen_at",
                {p.id, p.shortcode, p.owner_id, p.owner_username, p.caption, p.taken_at, p.like_count, p.comment_count,
                 instagram::to_string(p.media_type), urls, tags, mentions, now, now}));
    for (const auto& tag : p.hashtags) {
        GK_TRY(exec(c, "INSERT INTO scrape_post_hashtags (tag, post_id) VALUES ($1, $2) ON CONFLICT (tag, post_id) DO NOTHING",
                    {tag, p.id}));
    }
    return {};
}

Status upsert_profile(Connection& c, const instagram::Profile& p, Timestamp now) {
    GK_TRY(exec(c,
                "INSERT INTO scrape_profiles (user_id, username, full_name, biography, followers, following, post_count, "
                "is_private, is_verified, profile_pic_url, first_seen_at, last_seen_at) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
                "ON CONFLICT (user_id) DO UPDATE SET username = excluded.username, full_name = excluded.full_name, "
                "biography = excluded.biography, followers = excluded.followers, following = excluded.following, "
                "post_count = excluded.post_count, is_private = excluded.is_private, "
                "is_verified = excluded.is_verified, profile_pic_url = excluded.profile_pic_url, "
                "last_seen_at = excluded.last_seen_at",
                {p.id, p.username, p.full_name, p.biography, p.followers, p.following, p.post_count, p.is_private,
                 p.is_verified, p.profile_pic_url, now, now}));
    GK_TRY(exec(c,
                "INSERT INTO scrape_profile_history (user_id, observed_at, followers, following, post_count) "
                "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, observed_at) DO NOTHING",
                {p.id, now, p.followers, p.following, p.post_count}));
    return {};
}

instagram::MediaType media_type_from(std::string_view text) {
    for (auto t : {instagram::MediaType::image, instagram::MediaType::video, instagram::MediaType::carousel})
        if (instagram::to_string(t) == text) return t;
    return instagram::MediaType::image;
}

std::vector<instagram::MediaUrl> media_from_json(std::string_view text) {
    std::vector<instagram::MediaUrl> out;
    auto v = json::parse(text);
    if (!v || !v->is_array()) return out;
    for (const auto& e : v->as_array()) {
        const json::Value* url = e.find("url");
        if (url == nullptr || !url->is_string()) continue;
        instagram::MediaUrl m;
        m.url = url->as_string();
        if (const auto* w = e.find("width"); w && w->is_int()) m.width = static_cast<int>(w->as_int());
        if (const auto* h = e.find("height"); h && h->is_int()) m.height = static_cast<int>(h->as_int());
        if (const auto* k = e.find("kind"); k && k->is_string() && k->as_string() == "video")
            m.kind = instagram::MediaKind::video;
        out.push_back(std::move(m));
    }
    return out;
}

Result<ResultItem> decode_result(const Row& r) {
    ResultItem item;
    item.seq = r.i64(0);
    item.item_type = r.text(1);
    item.item_id = r.text(2);
    item.first_seen_at = r.time(3);
    if (!r.is_null(4)) {
        StoredPost stored;
        instagram::Post& p = stored.post;
        p.id = r.text(4);
        p.shortcode = r.text(5);
        p.owner_id = r.text(6);
        p.owner_username = r.opt_text(7);
        p.caption = r.text(8);
        p.taken_at = r.time(9);
        p.like_count = r.i64(10);
        p.comment_count = r.i64(11);
        p.media_type = media_type_from(r.view(12));
        p.is_video = p.media_type == instagram::MediaType::video;
        p.media = media_from_json(r.view(13));
        p.hashtags = strings_from_json(r.view(14));
        p.mentions = strings_from_json(r.view(15));
        stored.first_seen_at = r.time(16);
        stored.last_seen_at = r.time(17);
        item.post = std::move(stored);
    }
    if (!r.is_null(18)) {
        StoredProfile stored;
        instagram::Profile& p = stored.profile;
        p.id = r.text(18);
        p.username = r.text(19);
        p.full_name = r.text(20);
        p.biography = r.text(21);
        p.followers = r.i64(22);
        p.following = r.i64(23);
        p.post_count = r.i64(24);
        p.is_private = r.boolean(25);
        p.is_verified = r.boolean(26);
        p.profile_pic_url = r.text(27);
        stored.first_seen_at = r.time(28);
        stored.last_seen_at = r.time(29);
        item.profile = std::move(stored);
    }
    return item;
}

}  // namespace

// --- raw bodies ---------------------------------------------------------------------

std::string pack_raw_body(std::string_view body) {
    uLongf size = compressBound(static_cast<uLong>(body.size()));
    crypto::Bytes out(size);
    if (compress2(out.data(), &size, reinterpret_cast<const Bytef*>(body.data()), static_cast<uLong>(body.size()),
                  Z_BEST_SPEED) != Z_OK) {
        return {};  // only on out-of-memory; the caller stores nothing
    }
    out.resize(size);
    return crypto::base64_encode(out);
}

Result<std::string> unpack_raw_body(std::string_view stored) {
    auto bytes = crypto::base64_decode(stored);
    if (!bytes) return fail(ErrorCode::data_loss, "stored raw document is not base64");
    std::string_view compressed(reinterpret_cast<const char*>(bytes->data()), bytes->size());
    auto body = net::decode_content("deflate", compressed, std::size_t{256} * 1024 * 1024);
    if (!body) return fail(ErrorCode::data_loss, "stored raw document does not decompress: " + body.error().message);
    return std::move(*body);
}

// --- tasks --------------------------------------------------------------------------

Status ScrapeStore::insert_task(const Task& t) {
    const std::string options = json::to_string(options_to_json(t.options));
    return with_connection(db_, [&](Connection& c) -> Status {
        GK_TRY(exec(c,
                    "INSERT INTO scrape_tasks (id, kind, target, options, schedule_id, state, created_at, updated_at) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    {t.id, to_string(t.kind), t.target, options, t.schedule_id, to_string(t.state), t.created_at,
                     t.updated_at}));
        return {};
    });
}

Result<TaskRow> ScrapeStore::get_task(std::int64_t id) {
    return with_connection(db_, [&](Connection& c) { return load_task(c, id); });
}

Result<TaskPage> ScrapeStore::list_tasks(const TaskFilter& filter) {
    GK_TRY(check_page_limit(filter.limit));
    SqlParams params;
    std::string sql = "SELECT " + std::string(kTaskColumns) + " FROM scrape_tasks WHERE id > " +
                      params.add(cursor_or_start(filter.after));
    const std::string state = filter.state ? std::string(to_string(*filter.state)) : std::string();
    const std::string kind = filter.kind ? std::string(to_string(*filter.kind)) : std::string();
    if (filter.state) sql += " AND state = " + params.add(std::string_view(state));
    if (filter.kind) sql += " AND kind = " + params.add(std::string_view(kind));
    sql += " ORDER BY id LIMIT " + params.add(static_cast<std::int64_t>(filter.limit + 1));
    return with_connection(db_, [&](Connection& c) -> Result<TaskPage> {
        GK_ASSIGN_OR_RETURN(auto rows, query_rows<TaskRow>(c, sql, params.span(), decode_task));
        TaskPage page;
        for (auto& r : rows) page.items.push_back(std::move(r.task));
        if (page.items.size() > filter.limit) {
            page.items.resize(filter.limit);
            page.next_after = page.items.back().id;
        }
        return page;
    });
}

Result<TaskRow> ScrapeStore::transition(std::int64_t id, std::initializer_list<TaskState> from, TaskState to,
                                        Timestamp now, bool drop_run) {
    return with_transaction(db_, [&](Connection& c) -> Result<TaskRow> {
        GK_ASSIGN_OR_RETURN(TaskRow row, load_task(c, id, true));
        bool allowed = false;
        for (TaskState s : from) allowed = allowed || s == row.task.state;
        if (!allowed) {
            return fail(ErrorCode::conflict,
                        "scrape task " + std::to_string(id) + " is " + std::string(to_string(row.task.state)) +
                            ", cannot become " + std::string(to_string(to)),
                        "state");
        }
        if (drop_run) {
            GK_TRY(exec(c,
                        "UPDATE scrape_tasks SET state = $1, cursor = NULL, run_started_at = NULL, "
                        "current_job_id = NULL, run_token = NULL, run_page = 0, run_seen = 0, run_new = 0, "
                        "run_accounts = '[]', updated_at = $2 WHERE id = $3",
                        {to_string(to), now, id}));
        } else {
            GK_TRY(exec(c, "UPDATE scrape_tasks SET state = $1, updated_at = $2 WHERE id = $3",
                        {to_string(to), now, id}));
        }
        return load_task(c, id);
    });
}

Status ScrapeStore::set_schedule(std::int64_t id, std::optional<std::int64_t> schedule_id, Timestamp now) {
    return with_connection(db_, [&](Connection& c) -> Status {
        return write_one(c, "UPDATE scrape_tasks SET schedule_id = $1, updated_at = $2 WHERE id = $3",
                         params_of({schedule_id, now, id}), "scrape task", id);
    });
}

Status ScrapeStore::remove_task(std::int64_t id) {
    return with_transaction(db_, [&](Connection& c) -> Status {
        GK_TRY(exec(c, "DELETE FROM scrape_task_items WHERE task_id = $1", {id}));
        GK_TRY(exec(c, "DELETE FROM scrape_raw_documents WHERE task_id = $1", {id}));
        GK_TRY(exec(c, "DELETE FROM scrape_account_runs WHERE task_id = $1", {id}));
        return write_one(c, "DELETE FROM scrape_tasks WHERE id = $1", params_of({id}), "scrape task", id);
    });
}

// --- runs ---------------------------------------------------------------------------

Result<TaskRow> ScrapeStore::begin_run(std::int64_t id, std::int64_t job_id, std::optional<std::int64_t> expected_job,
                                       std::int64_t run_token, Timestamp now) {
    return with_transaction(db_, [&](Connection& c) -> Result<TaskRow> {
        GK_ASSIGN_OR_RETURN(TaskRow row, load_task(c, id, true));
        if (row.task.current_job_id != expected_job) {
            return fail(ErrorCode::conflict,
                        "scrape task " + std::to_string(id) + " was claimed by job " +
                            (row.task.current_job_id ? std::to_string(*row.task.current_job_id) : std::string("none")),
                        "current_job_id");
        }
        if (!row.task.run_started_at) {
            GK_TRY(exec(c,
                        "UPDATE scrape_tasks SET run_seq = run_seq + 1, run_page = 0, run_seen = 0, run_new = 0, "
                        "run_accounts = '[]', cursor = NULL, run_started_at = $1, current_job_id = $2, "
                        "run_token = $3, updated_at = $4 WHERE id = $5",
                        {now, job_id, run_token, now, id}));
        } else {
            GK_TRY(exec(c, "UPDATE scrape_tasks SET current_job_id = $1, run_token = $2, updated_at = $3 WHERE id = $4",
                        {job_id, run_token, now, id}));
        }
        return load_task(c, id);
    });
}

Status ScrapeStore::note_account(std::int64_t id, std::int64_t run_token, std::int64_t account_id,
                                 std::string run_accounts_json, Timestamp now) {
    return with_connection(db_, [&](Connection& c) -> Status {
        GK_TRY(exec(c,
                    "UPDATE scrape_tasks SET account_id = $1, run_accounts = $2, updated_at = $3 "
                    "WHERE id = $4 AND run_token = $5",
                    {account_id, run_accounts_json, now, id, run_token}));
        return {};
    });
}

Result<CommitResult> ScrapeStore::commit_page(const PageCommit& page) {
    const std::string packed = page.raw_body.empty() ? std::string() : pack_raw_body(page.raw_body);
    return with_transaction(db_, [&](Connection& c) -> Result<CommitResult> {
        // The compare-and-set first: it also locks the task row (PostgreSQL)
        // so two commits of one task never interleave.
        GK_ASSIGN_OR_RETURN(
            std::int64_t moved,
            exec(c,
                 "UPDATE scrape_tasks SET cursor = $1, run_page = run_page + 1, run_seen = run_seen + $2, "
                 "pages = pages + 1, account_id = COALESCE($3, account_id), updated_at = $4 "
                 "WHERE id = $5 AND run_seq = $6 AND run_page = $7 AND cursor IS NOT DISTINCT FROM $8 "
                 "AND run_started_at IS NOT NULL AND run_token = $9",
                 {page.next_cursor, page.seen, page.account_id, page.now, page.task_id, page.run_seq, page.run_page,
                  page.from_cursor, page.run_token}));
        if (moved == 0) {
            return fail(ErrorCode::conflict,
                        "page " + std::to_string(page.run_page + 1) + " of scrape task " +
                            std::to_string(page.task_id) + " was already committed, its run ended, or another invocation owns the run",
                        "cursor");
        }
        std::int64_t fresh = 0;
        if (page.profile) {
            GK_TRY(upsert_profile(c, *page.profile, page.now));
            GK_ASSIGN_OR_RETURN(bool added,
                                insert_item(c, page.task_id, "profile", page.profile->id, ids_.next(), page.now));
            fresh += added ? 1 : 0;
        }
        for (const auto& post : page.posts) {
            GK_TRY(upsert_post(c, post, page.now));
            GK_ASSIGN_OR_RETURN(bool added, insert_item(c, page.task_id, "post", post.id, ids_.next(), page.now));
            fresh += added ? 1 : 0;
        }
        if (page.hashtag) {
            GK_TRY(exec(c,
                        "INSERT INTO scrape_hashtags (tag, media_count, first_seen_at, last_seen_at) "
                        "VALUES ($1, $2, $3, $4) ON CONFLICT (tag) DO UPDATE SET "
                        "media_count = COALESCE(excluded.media_count, scrape_hashtags.media_count), "
                        "last_seen_at = excluded.last_seen_at",
                        {*page.hashtag, page.hashtag_media_count, page.now, page.now}));
        }
        if (!packed.empty()) {
            GK_TRY(exec(c,
                        "INSERT INTO scrape_raw_documents (id, task_id, endpoint, cursor, fetched_at, size, body) "
                        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        {ids_.next(), page.task_id, page.raw_endpoint, page.from_cursor, page.now,
                         static_cast<std::int64_t>(page.raw_body.size()), packed}));
        }
        GK_TRY(exec(c, "UPDATE scrape_tasks SET items = items + $1, run_new = run_new + $2 WHERE id = $3",
                    {fresh, fresh, page.task_id}));
        GK_ASSIGN_OR_RETURN(TaskRow row, load_task(c, page.task_id));
        return CommitResult{fresh, row.run_page, row.run_seen, row.run_new};
    });
}

Status ScrapeStore::finish_run(std::int64_t id, std::int64_t run_token, std::string_view last_run_json,
                               std::optional<TaskState> new_state, Timestamp now, std::optional<std::string> error) {
    const std::string_view state = new_state ? to_string(*new_state) : std::string_view();
    return with_connection(db_, [&](Connection& c) -> Status {
        GK_ASSIGN_OR_RETURN(
            std::int64_t n,
            exec(c,
                 "UPDATE scrape_tasks SET cursor = NULL, run_started_at = NULL, current_job_id = NULL, "
                 "run_token = NULL, run_page = 0, run_seen = 0, run_new = 0, run_accounts = '[]', last_run = $1, "
                 "last_error = $2, state = CASE WHEN state = 'active' AND $3 <> '' THEN $4 ELSE state END, "
                 "updated_at = $5 WHERE id = $6 AND run_token = $7 AND run_started_at IS NOT NULL",
                 {last_run_json, error, state, state, now, id, run_token}));
        if (n == 0) {
            return fail(ErrorCode::conflict, "the run of scrape task " + std::to_string(id) +
                            " already ended or is owned by another invocation",
                        "run_token");
        }
        return {};
    });
}

Status ScrapeStore::record_error(std::int64_t id, std::int64_t run_token, std::string_view error,
                                 std::optional<TaskState> state, Timestamp now) {
    const std::string_view to = state ? to_string(*state) : std::string_view();
    return with_connection(db_, [&](Connection& c) -> Status {
        GK_ASSIGN_OR_RETURN(
            std::int64_t n,
            exec(c,
                 "UPDATE scrape_tasks SET last_error = $1, "
                 "state = CASE WHEN state = 'active' AND $2 <> '' THEN $3 ELSE state END, updated_at = $4 "
                 "WHERE id = $5 AND run_token = $6",
                 {error, to, to, now, id, run_token}));
        if (n == 0) return fail(ErrorCode::conflict, "scrape task " + std::to_string(id) + ": the run is not ours", "run_token");
        return {};
    });
}

Status ScrapeStore::detach_job(std::int64_t id, std::int64_t job_id, std::int64_t run_token, Timestamp now) {
    return with_connection(db_, [&](Connection& c) -> Status {
        GK_TRY(exec(c,
                    "UPDATE scrape_tasks SET current_job_id = NULL, run_token = NULL, updated_at = $1 "
                    "WHERE id = $2 AND current_job_id = $3 AND run_token = $4",
                    {now, id, job_id, run_token}));
        return {};
    });
}

Status ScrapeStore::release_run(std::int64_t id, std::int64_t job_id, Timestamp now) {
    return with_connection(db_, [&](Connection& c) -> Status {
        GK_TRY(exec(c,
                    "UPDATE scrape_tasks SET current_job_id = NULL, run_token = NULL, updated_at = $1 "
                    "WHERE id = $2 AND current_job_id = $3",
                    {now, id, job_id}));
        return {};
    });
}

// --- one run per account ------------------------------------------------------------

Result<bool> ScrapeStore::acquire_account(std::int64_t account_id, std::int64_t task_id,
                                          std::optional<std::int64_t> job_id, std::int64_t token, Timestamp now,
                                          Timestamp expires_at) {
    if (expires_at <= now)
        return fail(ErrorCode::invalid_argument, "account run expiry must be after now", "expires_at");
    return with_transaction(db_, [&](Connection& c) -> Result<bool> {
        GK_TRY(exec(c, "DELETE FROM scrape_account_runs WHERE task_id = $1 AND account_id <> $2", {task_id, account_id}));
        GK_ASSIGN_OR_RETURN(
            std::int64_t n,
            exec(c,
                 "INSERT INTO scrape_account_runs (account_id, task_id, job_id, token, acquired_at, expires_at) "
                 "VALUES ($1, $2, $3, $4, $5, $6) "
                 "ON CONFLICT (account_id) DO UPDATE SET task_id = excluded.task_id, job_id = excluded.job_id, "
                 "token = excluded.token, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at "
                 "WHERE scrape_account_runs.expires_at < excluded.acquired_at "
                 "OR scrape_account_runs.task_id = excluded.task_id",
                 {account_id, task_id, job_id, token, now, expires_at}));
        return n > 0;
    });
}

Result<bool> ScrapeStore::renew_account(std::int64_t account_id, std::int64_t token, Timestamp expires_at) {
    return with_connection(db_, [&](Connection& c) -> Result<bool> {
        GK_ASSIGN_OR_RETURN(std::int64_t n,
                            exec(c, "UPDATE scrape_account_runs SET expires_at = $1 WHERE account_id = $2 AND token = $3",
                                 {expires_at, account_id, token}));
        return n > 0;
    });
}

Status ScrapeStore::release_account(std::int64_t account_id, std::int64_t token) {
    return with_connection(db_, [&](Connection& c) -> Status {
        GK_TRY(exec(c, "DELETE FROM scrape_account_runs WHERE account_id = $1 AND token = $2", {account_id, token}));
        return {};
    });
}

Result<std::optional<AccountRun>> ScrapeStore::account_run(std::int64_t account_id) {
    return with_connection(db_, [&](Connection& c) {
        return query_optional<AccountRun>(
            c,
            "SELECT account_id, task_id, job_id, token, acquired_at, expires_at FROM scrape_account_runs "
            "WHERE account_id = $1",
            params_of({account_id}), [](const Row& r) -> Result<AccountRun> {
                return AccountRun{r.i64(0), r.i64(1), r.opt_i64(2), r.i64(3), r.time(4), r.time(5)};
            });
    });
}

// --- results and raw answers ------------------------------------------------------

Result<ResultPage> ScrapeStore::results(std::int64_t task_id, std::optional<std::int64_t> after, std::size_t limit) {
    GK_TRY(check_page_limit(limit));
    return with_connection(db_, [&](Connection& c) -> Result<ResultPage> {
        GK_ASSIGN_OR_RETURN(auto exists, query_int(c, "SELECT id FROM scrape_tasks WHERE id = $1", {task_id}));
        if (!exists) return fail(task_not_found(task_id));
        GK_ASSIGN_OR_RETURN(
            auto rows,
            query_rows<ResultItem>(
                c,
                "SELECT i.seq, i.item_type, i.item_id, i.first_seen_at, "
                "p.id, p.shortcode, p.owner_id, p.owner_username, p.caption, p.taken_at, p.like_count, "
                "p.comment_count, p.media_type, p.media_urls, p.hashtags, p.mentions, p.first_seen_at, p.last_seen_at, "
                "f.user_id, f.username, f.full_name, f.biography, f.followers, f.following, f.post_count, "
                "f.is_private, f.is_verified, f.profile_pic_url, f.first_seen_at, f.last_seen_at "
                "FROM scrape_task_items i "
                "LEFT JOIN scrape_posts p ON i.item_type = 'post' AND p.id = i.item_id "
                "LEFT JOIN scrape_profiles f ON i.item_type = 'profile' AND f.user_id = i.item_id "
                "WHERE i.task_id = $1 AND i.seq > $2 ORDER BY i.seq LIMIT $3",
                params_of({task_id, cursor_or_start(after), static_cast<std::int64_t>(limit + 1)}), decode_result));
        ResultPage page;
        page.items = std::move(rows);
        if (page.items.size() > limit) {
            page.items.resize(limit);
            page.next_after = page.items.back().seq;
        }
        return page;
    });
}

Result<std::int64_t> ScrapeStore::prune_raw(std::int64_t task_id, Timestamp cutoff) {
    return with_connection(db_, [&](Connection& c) {
        return exec(c, "DELETE FROM scrape_raw_documents WHERE task_id = $1 AND fetched_at < $2", {task_id, cutoff});
    });
}

Result<std::vector<RawDocument>> ScrapeStore::raw_documents(std::int64_t task_id, std::optional<std::int64_t> after,
                                                             std::size_t limit) {
    GK_TRY(check_page_limit(limit));
    return with_connection(db_, [&](Connection& c) {
        return query_rows<RawDocument>(
            c,
            "SELECT id, task_id, endpoint, cursor, fetched_at, size, body FROM scrape_raw_documents "
            "WHERE task_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            params_of({task_id, cursor_or_start(after), static_cast<std::int64_t>(limit)}),
            [](const Row& r) -> Result<RawDocument> {
                RawDocument d{r.i64(0), r.i64(1), r.text(2), r.opt_text(3), r.time(4), r.i64(5), {}};
                GK_ASSIGN_OR_RETURN(d.body, unpack_raw_body(r.view(6)));
                return d;
            });
    });
}

Result<std::vector<std::tuple<Timestamp, std::int64_t, std::int64_t, std::int64_t>>> ScrapeStore::profile_history(
    std::string_view user_id) {
    using Entry = std::tuple<Timestamp, std::int64_t, std::int64_t, std::int64_t>;
    return with_connection(db_, [&](Connection& c) {
        return query_rows<Entry>(c,
                                 "SELECT observed_at, followers, following, post_count FROM scrape_profile_history "
                                 "WHERE user_id = $1 ORDER BY observed_at",
                                 params_of({user_id}), [](const Row& r) -> Result<Entry> {
                                     return Entry{r.time(0), r.i64(1), r.i64(2), r.i64(3)};
                                 });
    });
}

}  // namespace gramkit::scrape
