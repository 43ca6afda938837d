// gramkit CLI — `gramkit proxy add|list|assign`.
//
// A proxy URL may carry a password. Command lines are visible to every user
// of the machine (ps, /proc/<pid>/cmdline), so a URL with a password is
// refused on the command line and read from stdin with `proxy add --stdin`.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "commands.hpp"
#include "context.hpp"
#include "output.hpp"
#include "prompt.hpp"
#include "values.hpp"

namespace gramkit::cli {
namespace {

// True if `url` looks like scheme://user:password@host... . Checked on the
// text itself so that a URL the library would reject still never echoes.
bool url_has_password(std::string_view url) {
    const auto scheme_end = url.find("://");
    const std::size_t start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
    const auto authority_end = url.find_first_of("/?#", start);
    const std::string_view authority = url.substr(start, authority_end == std::string_view::npos
                                                             ? std::string_view::npos
                                                             : authority_end - start);
    const auto at = authority.rfind('@');
    return at != std::string_view::npos && authority.substr(0, at).find(':') != std::string_view::npos;
}

Json proxy_json(const Proxy& p) {
    return Json::object()
        .set("id", p.id)
        .set("url", p.url)
        .set("scheme", to_string(p.scheme))
        .set("host", p.host)
        .set("port", static_cast<int>(p.port))
        .set("username", p.username)
        .set("has_password", p.has_password)
        .set("health", to_string(p.health))
        .set("failure_count", p.failure_count)
        .set("max_accounts", p.max_accounts)
        .set("assigned_accounts", p.assigned_accounts)
        .set("created_at", p.created_at)
        .set("updated_at", p.updated_at);
}

struct AddOptions {
    std::string url;
    bool from_stdin = false;
    int max_accounts = 3;
};

void run_add(Context& ctx, AddOptions& o) {
    if (o.from_stdin == !o.url.empty()) {
        throw UsageError("proxy add: give the URL either as an argument or with --stdin (not both)");
    }
    if (!o.from_stdin && url_has_password(o.url)) {
        wipe(o.url);
        throw UsageError(
            "proxy add: the URL contains a password, and command lines are visible to other users; "
            "pipe the URL into 'gramkit proxy add --stdin' instead");
    }
    NewProxy spec;
    spec.url = o.from_stdin ? read_secret("proxy URL", "Proxy URL: ", false) : o.url;
    spec.max_accounts = o.max_accounts;
    auto created = ctx.engine().proxies().create(spec);
    wipe(spec.url);
    const Proxy p = unwrap(std::move(created));
    if (ctx.json()) {
        print_json(proxy_json(p));
    } else {
        std::cout << "added proxy " << p.id << " (" << p.url << ", max " << p.max_accounts << " accounts)\n";
    }
}

struct ListOptions {
    std::string health;
    std::size_t limit = 50;
    std::int64_t after = 0;
};

void run_list(Context& ctx, const ListOptions& o) {
    ProxyFilter filter;
    if (!o.health.empty()) {
        auto h = parse_proxy_health(o.health);
        if (!h) throw UsageError("--health: " + h.error().message);
        filter.health = *h;
    }
    if (o.after > 0) filter.after = o.after;
    filter.limit = o.limit;
    const auto page = unwrap(ctx.engine().proxies().list(filter));
    if (ctx.json()) {
        Json items = Json::array();
        for (const auto& p : page.items) items.push(proxy_json(p));
        print_json(Json::object().set("items", std::move(items)).set("next_after", page.next_after));
        return;
    }
    if (page.items.empty()) {
        std::cout << "no proxies\n";
        return;
    }
    Table t({"ID", "URL", "HEALTH", "FAILURES", "ACCOUNTS"});
    for (const auto& p : page.items) {
        t.add({std::to_string(p.id), p.url, std::string(to_string(p.health)), std::to_string(p.failure_count),
               std::to_string(p.assigned_accounts) + "/" + std::to_string(p.max_accounts)});
    }
    t.print(std::cout);
    if (page.next_after) std::cout << "more: gramkit proxy list --after " << *page.next_after << '\n';
}

void run_assign(Context& ctx, const std::string& account, std::int64_t proxy_id) {
    const Account a = ctx.find_account(account);
    auto& proxies = ctx.engine().proxies();
    const Proxy p = unwrap(proxy_id > 0 ? proxies.assign_to(a.id, proxy_id) : proxies.assign(a.id));
    if (ctx.json()) {
        print_json(Json::object().set("account_id", a.id).set("username", a.username).set("proxy", proxy_json(p)));
    } else {
        std::cout << "account " << a.id << " (" << a.username << ") uses proxy " << p.id << " (" << p.url << ")\n";
    }
}

}  // namespace

void register_proxy_commands(CLI::App& app, Context& ctx) {
    auto* proxy = app.add_subcommand("proxy", "Manage proxies and their assignment to accounts");
    proxy->require_subcommand(1);
    {
        auto o = std::make_shared<AddOptions>();
        auto* cmd = proxy->add_subcommand(
            "add", "Add a proxy: http://, https:// or socks5://[user[:password]@]host:port");
        cmd->add_option("URL", o->url, "Proxy URL without a password");
        cmd->add_flag("--stdin", o->from_stdin, "Read the URL (which may contain a password) from stdin");
        cmd->add_option("--max-accounts", o->max_accounts, "Accounts that may share it (1..10000)")
            ->capture_default_str();
        cmd->callback([&ctx, o] { run_add(ctx, *o); });
    }
    {
        auto o = std::make_shared<ListOptions>();
        auto* cmd = proxy->add_subcommand("list", "List proxies (URLs without passwords)");
        cmd->add_option("--health", o->health, "Only healthy or unhealthy proxies");
        cmd->add_option("--limit", o->limit, "Page size (1..1000)")->capture_default_str();
        cmd->add_option("--after", o->after, "Start after this proxy id");
        cmd->callback([&ctx, o] { run_list(ctx, *o); });
    }
    {
        auto account = std::make_shared<std::string>();
        auto proxy_id = std::make_shared<std::int64_t>(0);
        auto* cmd = proxy->add_subcommand(
            "assign", "Give an account its sticky proxy (the least loaded healthy one, or --proxy ID)");
        cmd->add_option("ACCOUNT", *account, "Account id or username")->required();
        cmd->add_option("--proxy", *proxy_id, "This proxy instead of the least loaded");
        cmd->callback([&ctx, account, proxy_id] { run_assign(ctx, *account, *proxy_id); });
    }
}

}  // namespace gramkit::cli
