// gramkit CLI — `gramkit account add|list|show|update|delete|status|history`.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "context.hpp"
#include "output.hpp"
#include "prompt.hpp"
#include "values.hpp"

namespace gramkit::cli {
namespace {

std::string join(const std::vector<std::string>& items, std::string_view sep) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += sep;
        out += items[i];
    }
    return out;
}

Json account_json(const Account& a) {
    Json j = Json::object();
    j.set("id", a.id);
    j.set("username", a.username);
    j.set("email", a.email);
    j.set("labels", Json::array_of(a.labels));
    j.set("status", to_string(a.status));
    j.set("status_reason", a.status_reason);
    j.set("cooldown_until", a.cooldown_until);
    j.set("proxy_id", a.proxy_id);
    j.set("has_totp_seed", a.has_totp_seed);
    j.set("created_at", a.created_at);
    j.set("updated_at", a.updated_at);
    return j;
}

void print_account(const Context& ctx, const Account& a) {
    if (ctx.json()) {
        print_json(account_json(a));
        return;
    }
    print_fields(std::cout, {
                                {"id", std::to_string(a.id)},
                                {"username", a.username},
                                {"email", a.email.value_or("-")},
                                {"labels", a.labels.empty() ? "-" : join(a.labels, ",")},
                                {"status", std::string(to_string(a.status))},
                                {"status reason", a.status_reason.empty() ? "-" : a.status_reason},
                                {"cooldown until", format_time(a.cooldown_until)},
                                {"proxy", a.proxy_id ? std::to_string(*a.proxy_id) : "-"},
                                {"totp seed", a.has_totp_seed ? "yes" : "no"},
                                {"created", format_time(a.created_at)},
                                {"updated", format_time(a.updated_at)},
                            });
}

AccountStatus status_argument(std::string_view option, const std::string& text) {
    auto s = parse_account_status(text);
    if (!s) throw UsageError(std::string(option) + ": " + s.error().message);
    return *s;
}

// --- add ----------------------------------------------------------------------

struct AddOptions {
    std::string username;
    std::optional<std::string> email;
    std::vector<std::string> labels;
    bool totp_seed_stdin = false;
};

void run_add(Context& ctx, const AddOptions& o) {
    NewAccount spec;
    spec.username = o.username;
    spec.email = o.email;
    spec.labels = o.labels;
    // Check the cheap things before asking for secrets.
    unwrap(validate_username(spec.username));
    for (const auto& l : spec.labels) unwrap(validate_label(l));
    auto& engine = ctx.engine();

    spec.password = read_secret("password", "Password for " + spec.username + ": ", true);
    if (o.totp_seed_stdin) spec.totp_seed = read_secret("TOTP seed", "TOTP seed (base32): ", false);
    auto created = engine.accounts().create(spec);
    wipe(spec.password);
    if (spec.totp_seed) wipe(*spec.totp_seed);
    const Account a = unwrap(std::move(created));
    if (ctx.json()) {
        print_json(account_json(a));
    } else {
        std::cout << "added account " << a.id << " (" << a.username << ")\n";
    }
}

// --- list ---------------------------------------------------------------------

struct ListOptions {
    std::string status;
    std::string label;
    std::size_t limit = 50;
    std::int64_t after = 0;
};

void run_list(Context& ctx, const ListOptions& o) {
    AccountFilter filter;
    if (!o.status.empty()) filter.status = status_argument("--status", o.status);
    if (!o.label.empty()) filter.label = o.label;
    if (o.after > 0) filter.after = o.after;
    filter.limit = o.limit;
    const auto page = unwrap(ctx.engine().accounts().list(filter));

    if (ctx.json()) {
        Json items = Json::array();
        for (const auto& a : page.items) items.push(account_json(a));
        print_json(Json::object().set("items", std::move(items)).set("next_after", page.next_after));
        return;
    }
    if (page.items.empty()) {
        std::cout << "no accounts\n";
        return;
    }
    Table t({"ID", "USERNAME", "STATUS", "LABELS", "PROXY", "EMAIL", "UPDATED"});
    for (const auto& a : page.items) {
        std::string status(to_string(a.status));
        if (a.cooldown_until) status += " until " + format_time(a.cooldown_until);
        t.add({std::to_string(a.id), a.username, status, a.labels.empty() ? "-" : join(a.labels, ","),
               a.proxy_id ? std::to_string(*a.proxy_id) : "-", a.email.value_or("-"), format_time(a.updated_at)});
    }
    t.print(std::cout);
    if (page.next_after) std::cout << "more: gramkit account list --after " << *page.next_after << '\n';
}

// --- update -------------------------------------------------------------------

struct UpdateOptions {
    std::string account;
    std::optional<std::string> username;
    std::optional<std::string> email;
    bool clear_email = false;
    std::vector<std::string> labels;
    bool clear_labels = false;
    bool password = false;
    bool totp_seed_stdin = false;
    bool clear_totp_seed = false;
};

void run_update(Context& ctx, const UpdateOptions& o) {
    AccountUpdate u;
    if (o.username) u.username = *o.username;
    if (o.email) u.email = std::optional<std::string>(*o.email);
    if (o.clear_email) u.email = std::optional<std::string>();
    if (!o.labels.empty()) u.labels = o.labels;
    if (o.clear_labels) u.labels = std::vector<std::string>{};
    if (o.clear_totp_seed) u.totp_seed = std::optional<std::string>();
    if (!u.username && !u.email && !u.labels && !o.password && !o.totp_seed_stdin && !u.totp_seed) {
        throw UsageError("account update: nothing to change (see gramkit account update --help)");
    }
    const Account current = ctx.find_account(o.account);
    if (o.password) u.password = read_secret("password", "New password for " + current.username + ": ", true);
    if (o.totp_seed_stdin) {
        u.totp_seed = std::optional<std::string>(read_secret("TOTP seed", "TOTP seed (base32): ", false));
    }
    auto updated = ctx.engine().accounts().update(current.id, u);
    if (u.password) wipe(*u.password);
    if (u.totp_seed && *u.totp_seed) wipe(**u.totp_seed);
    const Account a = unwrap(std::move(updated));
    if (ctx.json()) {
        print_json(account_json(a));
    } else {
        std::cout << "updated account " << a.id << " (" << a.username << ")";
        if (o.password) std::cout << "; password changed";
        std::cout << '\n';
    }
}

// --- status / history -----------------------------------------------------------

struct StatusOptions {
    std::string account;
    std::string status;
    std::string reason;
    std::string until;
    std::string for_duration;
};

void run_status(Context& ctx, const StatusOptions& o) {
    const AccountStatus to = status_argument("STATUS", o.status);
    std::optional<Timestamp> until;
    if (!o.until.empty()) until = parse_time_option("--until", o.until);
    const std::optional<Duration> duration =
        o.for_duration.empty() ? std::nullopt : std::optional<Duration>(parse_duration(o.for_duration));
    if (to == AccountStatus::cooldown && !until && !duration) {
        throw UsageError("account status: cooldown needs --until RFC3339 or --for DURATION");
    }
    if (to != AccountStatus::cooldown && (until || duration)) {
        throw UsageError("account status: --until/--for only apply to cooldown");
    }
    const Account current = ctx.find_account(o.account);
    auto& engine = ctx.engine();
    if (duration) until = engine.clock().now() + *duration;
    // A cooldown also penalizes the account's rate-limit keys (fleet-wide
    // with a Redis store); other statuses are plain transitions.
    const Account a = unwrap(to == AccountStatus::cooldown
                                 ? engine.accounts().cooldown(current.id, *until, o.reason)
                                 : engine.accounts().change_status(current.id, to, o.reason, until));
    if (ctx.json()) {
        print_json(account_json(a));
        return;
    }
    std::cout << "account " << a.id << " (" << a.username << "): " << to_string(current.status) << " -> "
              << to_string(a.status);
    if (a.cooldown_until) std::cout << " until " << format_time(a.cooldown_until);
    std::cout << '\n';
}

void run_history(Context& ctx, const std::string& account, std::size_t limit) {
    const Account a = ctx.find_account(account);
    const auto changes = unwrap(ctx.engine().accounts().status_history(a.id, limit));
    if (ctx.json()) {
        Json items = Json::array();
        for (const auto& c : changes) {
            items.push(Json::object()
                           .set("at", c.at)
                           .set("from", to_string(c.from))
                           .set("to", to_string(c.to))
                           .set("reason", c.reason)
                           .set("until", c.until));
        }
        print_json(Json::object().set("account_id", a.id).set("username", a.username).set("items", std::move(items)));
        return;
    }
    Table t({"AT", "FROM", "TO", "UNTIL", "REASON"});
    for (const auto& c : changes) {
        t.add({format_time(c.at), std::string(to_string(c.from)), std::string(to_string(c.to)), format_time(c.until),
               c.reason.empty() ? "-" : c.reason});
    }
    t.print(std::cout);
}

}  // namespace

void register_account_commands(CLI::App& app, Context& ctx) {
    auto* account = app.add_subcommand("account", "Manage bot accounts");
    account->require_subcommand(1);

    {
        auto o = std::make_shared<AddOptions>();
        auto* cmd = account->add_subcommand(
            "add", "Register an account. The password is prompted for (no echo) or read as one line from stdin");
        cmd->add_option("USERNAME", o->username, "Instagram username")->required();
        cmd->add_option("--email", o->email, "Contact e-mail of the account");
        cmd->add_option("--label", o->labels, "Label (repeatable or comma-separated)")
            ->allow_extra_args(false)
            ->delimiter(',');
        cmd->add_flag("--totp-seed-stdin", o->totp_seed_stdin,
                      "Also read a base32 TOTP seed (after the password: second line of stdin)");
        cmd->callback([&ctx, o] { run_add(ctx, *o); });
    }
    {
        auto o = std::make_shared<ListOptions>();
        auto* cmd = account->add_subcommand("list", "List accounts, ordered by id");
        cmd->add_option("--status", o->status, "Only this status (active, paused, cooldown, ...)");
        cmd->add_option("--label", o->label, "Only accounts with this label");
        cmd->add_option("--limit", o->limit, "Page size (1..1000)")->capture_default_str();
        cmd->add_option("--after", o->after, "Start after this account id (from a previous page)");
        cmd->callback([&ctx, o] { run_list(ctx, *o); });
    }
    {
        auto id = std::make_shared<std::string>();
        auto* cmd = account->add_subcommand("show", "Show one account");
        cmd->add_option("ACCOUNT", *id, "Account id or username")->required();
        cmd->callback([&ctx, id] { print_account(ctx, ctx.find_account(*id)); });
    }
    {
        auto o = std::make_shared<UpdateOptions>();
        auto* cmd = account->add_subcommand("update", "Change an account's username, e-mail, labels or secrets");
        cmd->add_option("ACCOUNT", o->account, "Account id or username")->required();
        cmd->add_option("--username", o->username, "New username");
        auto* email = cmd->add_option("--email", o->email, "New e-mail");
        auto* clear_email = cmd->add_flag("--clear-email", o->clear_email, "Remove the e-mail");
        email->excludes(clear_email);
        auto* labels = cmd->add_option("--label", o->labels, "Replace the labels (repeatable or comma-separated)")
                           ->allow_extra_args(false)
                           ->delimiter(',');
        auto* clear_labels = cmd->add_flag("--clear-labels", o->clear_labels, "Remove every label");
        labels->excludes(clear_labels);
        cmd->add_flag("--password", o->password, "Set a new password (prompted for, or one line of stdin)");
        auto* totp = cmd->add_flag("--totp-seed-stdin", o->totp_seed_stdin,
                                   "Set a new TOTP seed (prompted for, or the next line of stdin)");
        auto* clear_totp = cmd->add_flag("--clear-totp-seed", o->clear_totp_seed, "Remove the TOTP seed");
        totp->excludes(clear_totp);
        cmd->callback([&ctx, o] { run_update(ctx, *o); });
    }
    {
        auto id = std::make_shared<std::string>();
        auto* cmd = account->add_subcommand("delete", "Delete an account with its session and secrets");
        cmd->add_option("ACCOUNT", *id, "Account id or username")->required();
        cmd->callback([&ctx, id] {
            const Account a = ctx.find_account(*id);
            unwrap(ctx.engine().accounts().remove(a.id));
            if (ctx.json()) {
                print_json(Json::object().set("deleted", a.id).set("username", a.username));
            } else {
                std::cout << "deleted account " << a.id << " (" << a.username << ")\n";
            }
        });
    }
    {
        auto o = std::make_shared<StatusOptions>();
        auto* cmd = account->add_subcommand("status", "Change an account's status (recorded in its history)");
        cmd->add_option("ACCOUNT", o->account, "Account id or username")->required();
        cmd->add_option("STATUS", o->status,
                        "active, paused, cooldown, challenge_required, login_failed or disabled")
            ->required();
        cmd->add_option("--reason", o->reason, "Why (kept in the history)")->required();
        auto* until = cmd->add_option("--until", o->until, "End of a cooldown, RFC 3339 (2026-01-02T15:04:05Z)");
        auto* dur = cmd->add_option("--for", o->for_duration, "Length of a cooldown: 45s, 30m, 2h, 7d, 1h30m");
        until->excludes(dur);
        cmd->callback([&ctx, o] { run_status(ctx, *o); });
    }
    {
        auto id = std::make_shared<std::string>();
        auto limit = std::make_shared<std::size_t>(100);
        auto* cmd = account->add_subcommand("history", "Show an account's status changes, newest first");
        cmd->add_option("ACCOUNT", *id, "Account id or username")->required();
        cmd->add_option("--limit", *limit, "At most this many entries")->capture_default_str();
        cmd->callback([&ctx, id, limit] { run_history(ctx, *id, *limit); });
    }
}

}  // namespace gramkit::cli
