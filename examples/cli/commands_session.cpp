// gramkit CLI — `gramkit session import-cookies|show|invalidate`.
//
// Cookie values are secrets: they are read from a file or stdin, never from
// argv, and never printed (show lists names, domains and expiry only).
#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "commands.hpp"
#include "context.hpp"
#include "output.hpp"
#include "prompt.hpp"
#include "values.hpp"

namespace gramkit::cli {
namespace {

Json session_json(const Session& s) {
    return Json::object()
        .set("account_id", s.account_id)
        .set("valid", s.valid)
        .set("invalid_reason", s.invalid_reason)
        .set("cookie_count", s.cookie_count)
        .set("user_agent", s.device.user_agent)
        .set("device_id", s.device.device_id)
        .set("locale", s.device.locale)
        .set("created_at", s.created_at)
        .set("last_used_at", s.last_used_at)
        .set("expires_at", s.expires_at);
}

std::string read_cookie_file(const std::string& path) {
    if (path == "-") return read_all_stdin();
    std::ifstream in(path, std::ios::binary);
    if (!in) throw CommandError(ErrorCode::not_found, "cannot open cookie file " + sanitize(path));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw CommandError(ErrorCode::unavailable, "cannot read cookie file " + sanitize(path));
    return std::move(text).str();
}

struct ImportOptions {
    std::string account;
    std::string file;
    std::string user_agent;
    bool replace = false;
};

void run_import(Context& ctx, const ImportOptions& o) {
    const Account a = ctx.find_account(o.account);
    std::string text = read_cookie_file(o.file);
    auto parsed = parse_cookie_export(text);
    wipe(text);
    auto cookies = unwrap(std::move(parsed));
    if (cookies.empty()) throw CommandError(ErrorCode::invalid_argument, "the cookie file contains no cookies");

    auto& sessions = ctx.engine().sessions();
    std::optional<DeviceInfo> device;
    if (!o.user_agent.empty()) {
        // Keep the other device fields of an existing session.
        auto existing = sessions.get(a.id);
        device = existing ? existing->device : DeviceInfo{};
        device->user_agent = o.user_agent;
    }
    auto saved = o.replace ? sessions.replace_cookies(a.id, cookies, device) : sessions.save_cookies(a.id, cookies, device);
    for (auto& c : cookies) wipe(c.value);
    const Session s = unwrap(std::move(saved));
    if (ctx.json()) {
        print_json(Json::object().set("imported", cookies.size()).set("session", session_json(s)));
        return;
    }
    if (o.replace) {
        std::cout << "replaced the cookie jar of account " << a.id << " (" << a.username << ") with "
                  << cookies.size() << " cookies";
    } else {
        std::cout << cookies.size() << " cookies for account " << a.id << " (" << a.username << ")";
    }
    std::cout << "; the session now holds " << s.cookie_count << " cookies";
    if (s.expires_at) std::cout << ", earliest expiry " << format_time(s.expires_at);
    std::cout << '\n';
}

void run_show(Context& ctx, const std::string& account) {
    const Account a = ctx.find_account(account);
    auto& sessions = ctx.engine().sessions();
    const Session s = unwrap(sessions.get(a.id));
    auto cookies = unwrap(sessions.load_cookies(a.id));
    if (ctx.json()) {
        Json list = Json::array();
        for (const auto& c : cookies) {
            list.push(Json::object()
                          .set("name", c.name)
                          .set("domain", c.domain)
                          .set("path", c.path)
                          .set("expires", c.expires)
                          .set("secure", c.secure)
                          .set("http_only", c.http_only));
        }
        Json j = session_json(s);
        j.set("username", a.username).set("cookies", std::move(list));
        for (auto& c : cookies) wipe(c.value);
        print_json(j);
        return;
    }
    print_fields(std::cout, {
                                {"account", std::to_string(a.id) + " (" + a.username + ")"},
                                {"valid", s.valid ? "yes" : "no (" + s.invalid_reason + ")"},
                                {"cookies", std::to_string(s.cookie_count)},
                                {"user agent", s.device.user_agent.empty() ? "-" : s.device.user_agent},
                                {"device id", s.device.device_id.empty() ? "-" : s.device.device_id},
                                {"locale", s.device.locale},
                                {"created", format_time(s.created_at)},
                                {"last used", format_time(s.last_used_at)},
                                {"expires", format_time(s.expires_at)},
                            });
    if (!cookies.empty()) {
        std::cout << '\n';
        Table t({"NAME", "DOMAIN", "PATH", "EXPIRES", "FLAGS"});
        for (const auto& c : cookies) {
            std::string flags;
            if (c.secure) flags += "secure";
            if (c.http_only) flags += flags.empty() ? "httponly" : ",httponly";
            t.add({c.name, c.domain, c.path, c.expires ? format_time(c.expires) : "session", flags.empty() ? "-" : flags});
        }
        t.print(std::cout);
    }
    for (auto& c : cookies) wipe(c.value);
}

}  // namespace

void register_session_commands(CLI::App& app, Context& ctx) {
    auto* session = app.add_subcommand("session", "Manage login sessions (cookie jars)");
    session->require_subcommand(1);
    {
        auto o = std::make_shared<ImportOptions>();
        auto* cmd = session->add_subcommand(
            "import-cookies", "Import browser cookies: a JSON export or a Netscape cookies.txt ('-' = stdin)");
        cmd->add_option("ACCOUNT", o->account, "Account id or username")->required();
        cmd->add_option("FILE", o->file, "Cookie file, or - for stdin")->required();
        cmd->add_option("--user-agent", o->user_agent, "User agent the cookies were made with");
        cmd->add_flag("--replace", o->replace, "Replace the whole jar instead of merging");
        cmd->callback([&ctx, o] { run_import(ctx, *o); });
    }
    {
        auto account = std::make_shared<std::string>();
        auto* cmd = session->add_subcommand("show", "Show a session: cookie names, domains and expiry (never values)");
        cmd->add_option("ACCOUNT", *account, "Account id or username")->required();
        cmd->callback([&ctx, account] { run_show(ctx, *account); });
    }
    {
        auto account = std::make_shared<std::string>();
        auto reason = std::make_shared<std::string>();
        auto* cmd = session->add_subcommand("invalidate", "Mark a session invalid (it will not be handed out)");
        cmd->add_option("ACCOUNT", *account, "Account id or username")->required();
        cmd->add_option("--reason", *reason, "Why")->required();
        cmd->callback([&ctx, account, reason] {
            const Account a = ctx.find_account(*account);
            unwrap(ctx.engine().sessions().invalidate(a.id, *reason));
            if (ctx.json()) {
                print_json(Json::object().set("account_id", a.id).set("invalidated", true).set("reason", *reason));
            } else {
                std::cout << "invalidated the session of account " << a.id << " (" << a.username << ")\n";
            }
        });
    }
}

}  // namespace gramkit::cli
