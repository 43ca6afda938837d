// igsim — JSON configuration (see config_json.hpp).
#include "config_json.hpp"

#include "totp.hpp"

namespace igsim {

using gramkit::ErrorCode;
using gramkit::json::ObjectReader;
using gramkit::json::Value;

const char* to_string(LoginOutcome outcome) noexcept {
    switch (outcome) {
        case LoginOutcome::ok: return "ok";
        case LoginOutcome::bad_password: return "bad_password";
        case LoginOutcome::two_factor: return "two_factor";
        case LoginOutcome::checkpoint: return "checkpoint";
    }
    return "ok";
}

std::optional<LoginOutcome> parse_login_outcome(std::string_view text) noexcept {
    for (auto o : {LoginOutcome::ok, LoginOutcome::bad_password, LoginOutcome::two_factor, LoginOutcome::checkpoint})
        if (text == to_string(o)) return o;
    return std::nullopt;
}

namespace {

gramkit::Result<BotAccount> parse_account(const Value& value, const std::string& path) {
    ObjectReader r(value, path);
    BotAccount account;
    GK_ASSIGN_OR_RETURN(account.username, r.required_string("username"));
    GK_ASSIGN_OR_RETURN(account.password, r.required_string("password"));
    GK_ASSIGN_OR_RETURN(auto outcome, r.optional_string("outcome"));
    if (outcome) {
        auto parsed = parse_login_outcome(*outcome);
        if (!parsed)
            return gramkit::fail(ErrorCode::invalid_argument,
                                 "'" + r.path("outcome") + "' must be ok, bad_password, two_factor or checkpoint");
        account.outcome = *parsed;
    }
    GK_ASSIGN_OR_RETURN(auto seed, r.optional_string("totp_seed_base32"));
    if (seed) {
        if (!base32_decode(*seed) || base32_decode(*seed)->empty())
            return gramkit::fail(ErrorCode::invalid_argument, "'" + r.path("totp_seed_base32") + "' is not base32");
        account.totp_seed_base32 = *seed;
    }
    GK_ASSIGN_OR_RETURN(auto code, r.optional_string("two_factor_code"));
    if (code) account.two_factor_code = *code;
    GK_ASSIGN_OR_RETURN(auto user_id, r.optional_string("user_id"));
    if (user_id) account.user_id = *user_id;
    if (account.username.empty()) return gramkit::fail(ErrorCode::invalid_argument, "'" + r.path("username") + "' is empty");
    GK_TRY(r.reject_unknown_keys());
    return account;
}

}  // namespace

gramkit::Result<std::vector<BotAccount>> parse_accounts(const Value& value) {
    std::vector<BotAccount> out;
    if (value.is_object()) {
        GK_ASSIGN_OR_RETURN(auto account, parse_account(value, "accounts"));
        out.push_back(std::move(account));
        return out;
    }
    if (!value.is_array()) return gramkit::fail(ErrorCode::invalid_argument, "accounts must be an array of objects");
    for (std::size_t i = 0; i < value.as_array().size(); ++i) {
        GK_ASSIGN_OR_RETURN(auto account, parse_account(value.as_array()[i], "accounts[" + std::to_string(i) + "]"));
        out.push_back(std::move(account));
    }
    return out;
}

gramkit::Status apply_config(const Value& config, Behaviour& behaviour, std::vector<BotAccount>& accounts) {
    Behaviour next = behaviour;  // all or nothing
    ObjectReader r(config, "");
    GK_ASSIGN_OR_RETURN(auto allow_anonymous, r.optional_bool("allow_anonymous"));
    if (allow_anonymous) next.allow_anonymous = *allow_anonymous;
    GK_ASSIGN_OR_RETURN(auto gzip, r.optional_bool("gzip"));
    if (gzip) next.gzip = *gzip;
    GK_ASSIGN_OR_RETURN(auto rate_present, r.get("rate_limit"));
    if (rate_present && rate_present->is_null()) next.rate_limit = RateLimitRule{};
    GK_ASSIGN_OR_RETURN(auto rate, r.optional_object("rate_limit"));
    if (rate) {
        ObjectReader rr(*rate, "rate_limit");
        RateLimitRule rule;
        GK_ASSIGN_OR_RETURN(auto limit, rr.required_int("limit", 0, 1000000000));
        rule.limit = static_cast<int>(limit);
        GK_ASSIGN_OR_RETURN(auto window, rr.optional_int("window_seconds", 1, 86400 * 7));
        if (window) rule.window_seconds = static_cast<int>(*window);
        GK_ASSIGN_OR_RETURN(auto scope, rr.optional_string("scope"));
        if (scope) {
            if (*scope != "session" && *scope != "global")
                return gramkit::fail(ErrorCode::invalid_argument, "'rate_limit.scope' must be session or global");
            rule.per_session = *scope == "session";
        }
        GK_ASSIGN_OR_RETURN(auto retry_after, rr.optional_int("retry_after", 0, 86400));
        if (retry_after) rule.retry_after_seconds = static_cast<int>(*retry_after);
        GK_TRY(rr.reject_unknown_keys());
        next.rate_limit = rule;
    }
    GK_ASSIGN_OR_RETURN(auto please_wait, r.optional_int("please_wait", 0, 1000000000));
    if (please_wait) next.please_wait_next = static_cast<int>(*please_wait);
    GK_ASSIGN_OR_RETURN(auto feedback, r.optional_array("feedback_required"));
    if (feedback) {
        next.feedback_required.clear();
        for (const auto& item : feedback->as_array()) {
            if (!item.is_string())
                return gramkit::fail(ErrorCode::invalid_argument, "'feedback_required' must be an array of strings");
            next.feedback_required.push_back(item.as_string());
        }
    }
    GK_ASSIGN_OR_RETURN(auto delay, r.optional_int("delay_ms", 0, 600000));
    if (delay) next.delay_ms = static_cast<std::uint32_t>(*delay);
    GK_ASSIGN_OR_RETURN(auto drop, r.optional_int("drop_every", 0, 1000000000));
    if (drop) next.drop_every = static_cast<int>(*drop);
    GK_ASSIGN_OR_RETURN(auto truncate, r.optional_int("truncate_every", 0, 1000000000));
    if (truncate) next.truncate_every = static_cast<int>(*truncate);
    GK_ASSIGN_OR_RETURN(auto clock_present, r.get("clock"));
    if (clock_present && clock_present->is_null()) next.clock.reset();
    GK_ASSIGN_OR_RETURN(auto clock, r.optional_int("clock", 0, std::int64_t{1} << 40));
    if (clock) next.clock = *clock;
    std::vector<BotAccount> added;
    GK_ASSIGN_OR_RETURN(auto account_list, r.get("accounts"));
    if (account_list && !account_list->is_null()) {
        GK_ASSIGN_OR_RETURN(added, parse_accounts(*account_list));
    }
    GK_TRY(r.reject_unknown_keys());
    behaviour = std::move(next);
    for (auto& a : added) accounts.push_back(std::move(a));
    return {};
}

std::string behaviour_to_json(const Behaviour& b) {
    std::string out;
    gramkit::json::Writer w(out);
    w.begin_object();
    w.key("allow_anonymous").value(b.allow_anonymous);
    w.key("gzip").value(b.gzip);
    w.key("rate_limit");
    if (b.rate_limit.limit == 0) {
        w.value(nullptr);
    } else {
        w.begin_object().key("limit").value(b.rate_limit.limit).key("window_seconds").value(b.rate_limit.window_seconds)
            .key("scope").value(b.rate_limit.per_session ? "session" : "global").key("retry_after")
            .value(b.rate_limit.retry_after_seconds).end_object();
    }
    w.key("please_wait").value(b.please_wait_next);
    w.key("feedback_required").begin_array();
    for (const auto& s : b.feedback_required) w.value(s);
    w.end_array();
    w.key("delay_ms").value(b.delay_ms);
    w.key("drop_every").value(b.drop_every);
    w.key("truncate_every").value(b.truncate_every);
    w.key("clock");
    if (b.clock) w.value(*b.clock);
    else w.value(nullptr);
    w.end_object();
    return out;
}

}  // namespace igsim
