// Engine configuration from JSON. Every error names the offending key.
#include "core/json.hpp"
#include "engine/ops/jobs_json.hpp"
#include "engine/ratelimit_rules_json.hpp"
#include "gramkit/engine.hpp"

namespace gramkit {
namespace {

Status read_instagram_options(const json::Value& v, instagram::InstagramOptions& o) {
    json::ObjectReader r(v, "instagram");
    GK_ASSIGN_OR_RETURN(auto web, r.optional_string("web_base_url"));
    if (web) o.web_base_url = *web;
    GK_ASSIGN_OR_RETURN(auto api, r.optional_string("api_base_url"));
    if (api) o.api_base_url = *api;
    GK_ASSIGN_OR_RETURN(auto app_id, r.optional_string("app_id"));
    if (app_id) o.app_id = *app_id;
    GK_ASSIGN_OR_RETURN(auto doc_id, r.optional_string("timeline_doc_id"));
    if (doc_id) o.timeline_doc_id = *doc_id;
    GK_ASSIGN_OR_RETURN(auto ua, r.optional_string("user_agent"));
    if (ua) o.user_agent = *ua;
    GK_ASSIGN_OR_RETURN(auto cooldown, r.optional_int("rate_limit_cooldown_s", 1, 7 * 24 * 3600));
    if (cooldown) o.rate_limit_cooldown = std::chrono::seconds(*cooldown);
    GK_ASSIGN_OR_RETURN(auto feedback, r.optional_int("feedback_cooldown_s", 1, 30 * 24 * 3600));
    if (feedback) o.feedback_cooldown = std::chrono::seconds(*feedback);
    GK_ASSIGN_OR_RETURN(auto proxy_cooldown, r.optional_bool("proxy_cooldown"));
    if (proxy_cooldown) o.proxy_cooldown = *proxy_cooldown;
    GK_ASSIGN_OR_RETURN(auto require_proxy, r.optional_bool("require_proxy"));
    if (require_proxy) o.require_proxy = *require_proxy;
    GK_ASSIGN_OR_RETURN(auto page_size, r.optional_int("page_size", 1, 50));
    if (page_size) o.page_size = static_cast<int>(*page_size);
    for (const std::string* url : {&o.web_base_url, &o.api_base_url}) {
        if (!url->starts_with("https://") && !url->starts_with("http://"))
            return fail(ErrorCode::invalid_argument, "'instagram' base URLs must start with http:// or https://",
                        "instagram");
    }
    return r.reject_unknown_keys();
}

}  // namespace

Result<EngineConfig> parse_engine_config(std::string_view text) {
    if (text.size() > 1024 * 1024)
        return fail(ErrorCode::invalid_argument, "configuration is too large (at most 1 MiB)");
    auto doc = json::parse(text);
    if (!doc) return fail(ErrorCode::invalid_argument, "configuration: " + doc.error().message);
    if (!doc->is_object())
        return fail(ErrorCode::invalid_argument, "configuration must be a JSON object (got " +
                                                     std::string(json::type_name(doc->type())) + ")");
    json::ObjectReader r(*doc, "");
    EngineConfig c;
    GK_ASSIGN_OR_RETURN(auto url, r.optional_string("storage_url"));
    c.storage_url = url.value_or("");
    GK_ASSIGN_OR_RETURN(auto dir, r.optional_string("data_dir"));
    c.data_dir = dir.value_or("");
    GK_ASSIGN_OR_RETURN(auto key_file, r.optional_string("key_file"));
    c.key_file = key_file.value_or("");
    GK_ASSIGN_OR_RETURN(auto key_env, r.optional_string("key_env"));
    c.key_env = key_env.value_or("");
    GK_ASSIGN_OR_RETURN(auto level, r.optional_string("log_level"));
    if (level) {
        auto parsed = parse_log_level(*level);
        if (!parsed) return fail(ErrorCode::invalid_argument, "'log_level': " + parsed.error().message, "log_level");
        c.log_level = *parsed;
    }
    GK_ASSIGN_OR_RETURN(auto pool, r.optional_int("storage_pool_size", 1, 64));
    if (pool) c.storage_pool_size = static_cast<std::size_t>(*pool);
    GK_ASSIGN_OR_RETURN(auto threshold, r.optional_int("proxy_failure_threshold", 1, 1000));
    if (threshold) c.proxy_failure_threshold = static_cast<int>(*threshold);
    GK_ASSIGN_OR_RETURN(auto capacity, r.optional_int("event_queue_capacity", 1, 1'000'000));
    if (capacity) c.event_queue_capacity = static_cast<std::size_t>(*capacity);
    GK_ASSIGN_OR_RETURN(auto max_params, r.optional_int("max_params_bytes", 64, 64 * 1024 * 1024));
    if (max_params) c.max_params_bytes = static_cast<std::size_t>(*max_params);
    GK_ASSIGN_OR_RETURN(auto rl_store, r.optional_string("ratelimit_store"));
    if (rl_store) c.ratelimit_store = *rl_store;
    GK_ASSIGN_OR_RETURN(auto fail_open, r.optional_bool("ratelimit_fail_open"));
    if (fail_open) c.ratelimit_fail_open = *fail_open;
    GK_ASSIGN_OR_RETURN(const json::Value* rules, r.optional_array("ratelimit_rules"));
    if (rules) {
        GK_ASSIGN_OR_RETURN(c.ratelimit_rules, engine::rules_from_json(*rules, "ratelimit_rules"));
    }
    GK_ASSIGN_OR_RETURN(auto persist, r.optional_bool("ratelimit_persist"));
    if (persist) c.ratelimit_persist = *persist;
    GK_ASSIGN_OR_RETURN(auto ca_file, r.optional_string("http_ca_file"));
    c.http_ca_file = ca_file.value_or("");
    GK_ASSIGN_OR_RETURN(auto verify, r.optional_bool("http_verify_tls"));
    if (verify) c.http_verify_tls = *verify;
    GK_ASSIGN_OR_RETURN(const json::Value* instagram, r.optional_object("instagram"));
    if (instagram) GK_TRY(read_instagram_options(*instagram, c.instagram));
    GK_ASSIGN_OR_RETURN(const json::Value* workers, r.optional_object("workers"));
    if (workers) {
        GK_ASSIGN_OR_RETURN(c.workers, engine::worker_options_from_json(*workers, "workers"));
    }
    GK_TRY(r.reject_unknown_keys());
    return c;
}

}  // namespace gramkit
