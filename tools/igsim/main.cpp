// igsim — command-line entry point: parses flags, runs igsim::Server until
// SIGTERM or SIGINT, and prints one machine-readable ready line:
//   igsim listening http=127.0.0.1:PORT https=127.0.0.1:PORT cert=PATH
// Flags are documented in tools/igsim/README.md and by --help.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unistd.h>

#include "config_json.hpp"
#include "core/json.hpp"
#include "server.hpp"

namespace {

constexpr const char* kUsage = R"(usage: igsim [options]
  --port N               HTTP port (0 = free port; default 0)
  --https-port N         HTTPS port (0 = free port; default 0)
  --no-https             serve HTTP only
  --cert-out PATH        write the generated certificate (PEM) here
                         (default: $TMPDIR/igsim-<pid>.pem)
  --seed N               world seed (default 1)
  --users N              users in the world (default 20)
  --posts-per-user N     posts per user (default 30)
  --hashtags a,b,c       hashtags used in captions
  --accounts FILE        bot accounts, JSON [{username,password,outcome,totp_seed_base32,two_factor_code}]
  --config FILE          initial behaviour, JSON (same keys as POST /__igsim/config)
  --allow-anonymous      read endpoints without a logged-in session
  --gzip                 gzip JSON/HTML for clients sending Accept-Encoding: gzip
  --rate-limit N         429 after N API requests per window
  --rate-window S        rate window in seconds (default 60)
  --rate-scope S         session (default) or global
  --retry-after S        Retry-After value (default: seconds left in the window)
  --please-wait N        the next N API requests get "please wait" (400)
  --feedback-required a,b  usernames or sessionids answered with feedback_required
  --delay-ms N           delay every response by N ms
  --drop-every N         close the connection instead of answering every Nth request
  --truncate-every N     send half the body of every Nth response, then close
  --clock T              fake unix time for TOTP and rate windows
  --threads N            I/O threads (default 2)
)";

[[noreturn]] void usage_error(const std::string& message) {
    std::cerr << "igsim: " << message << "\n" << kUsage;
    std::exit(2);
}

long long number(const std::string& flag, const std::string& text, long long min, long long max) {
    try {
        std::size_t used = 0;
        const long long value = std::stoll(text, &used);
        if (used != text.size() || value < min || value > max) throw std::out_of_range(text);
        return value;
    } catch (const std::exception&) {
        usage_error(flag + " needs a number between " + std::to_string(min) + " and " + std::to_string(max));
    }
}

std::vector<std::string> split_commas(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream in(text);
    for (std::string item; std::getline(in, item, ',');)
        if (!item.empty()) out.push_back(item);
    return out;
}

gramkit::json::Value read_json_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) usage_error("cannot read " + path);
    std::stringstream text;
    text << file.rdbuf();
    auto value = gramkit::json::parse(text.str());
    if (!value) usage_error(path + ": " + value.error().message);
    return std::move(*value);
}

igsim::ServerOptions parse_flags(int argc, char** argv) {
    igsim::ServerOptions o;
    std::string config_file;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage_error(flag + " needs a value");
            return argv[++i];
        };
        if (flag == "--help" || flag == "-h") {
            std::cout << kUsage;
            std::exit(0);
        } else if (flag == "--port") o.http_port = static_cast<std::uint16_t>(number(flag, value(), 0, 65535));
        else if (flag == "--https-port") o.https_port = static_cast<std::uint16_t>(number(flag, value(), 0, 65535));
        else if (flag == "--no-https") o.enable_https = false;
        else if (flag == "--cert-out") o.cert_out = value();
        else if (flag == "--seed") o.world.seed = static_cast<std::uint64_t>(number(flag, value(), 0, INT64_MAX));
        else if (flag == "--users") o.world.users = static_cast<int>(number(flag, value(), 1, 100000));
        else if (flag == "--posts-per-user") o.world.posts_per_user = static_cast<int>(number(flag, value(), 0, 10000));
        else if (flag == "--hashtags") o.world.hashtags = split_commas(value());
        else if (flag == "--accounts") {
            auto accounts = igsim::parse_accounts(read_json_file(value()));
            if (!accounts) usage_error("--accounts: " + accounts.error().message);
            o.accounts.insert(o.accounts.end(), accounts->begin(), accounts->end());
        } else if (flag == "--config") config_file = value();
        else if (flag == "--allow-anonymous") o.behaviour.allow_anonymous = true;
        else if (flag == "--gzip") o.behaviour.gzip = true;
        else if (flag == "--rate-limit") o.behaviour.rate_limit.limit = static_cast<int>(number(flag, value(), 0, 1000000000));
        else if (flag == "--rate-window") o.behaviour.rate_limit.window_seconds = static_cast<int>(number(flag, value(), 1, 604800));
        else if (flag == "--rate-scope") {
            const auto scope = value();
            if (scope != "session" && scope != "global") usage_error("--rate-scope is session or global");
            o.behaviour.rate_limit.per_session = scope == "session";
        } else if (flag == "--retry-after") o.behaviour.rate_limit.retry_after_seconds = static_cast<int>(number(flag, value(), 0, 86400));
        else if (flag == "--please-wait") o.behaviour.please_wait_next = static_cast<int>(number(flag, value(), 0, 1000000000));
        else if (flag == "--feedback-required") o.behaviour.feedback_required = split_commas(value());
        else if (flag == "--delay-ms") o.behaviour.delay_ms = static_cast<std::uint32_t>(number(flag, value(), 0, 600000));
        else if (flag == "--drop-every") o.behaviour.drop_every = static_cast<int>(number(flag, value(), 0, 1000000000));
        else if (flag == "--truncate-every") o.behaviour.truncate_every = static_cast<int>(number(flag, value(), 0, 1000000000));
        else if (flag == "--clock") o.behaviour.clock = number(flag, value(), 0, 1LL << 40);
        else if (flag == "--threads") o.threads = static_cast<int>(number(flag, value(), 1, 64));
        else usage_error("unknown option " + flag);
    }
    if (!config_file.empty()) {
        // Applied after the flags, so the file wins where both speak.
        auto status = igsim::apply_config(read_json_file(config_file), o.behaviour, o.accounts);
        if (!status) usage_error("--config: " + status.error().message);
    }
    if (o.enable_https && o.cert_out.empty()) {
        o.cert_out = (std::filesystem::temp_directory_path() / ("igsim-" + std::to_string(::getpid()) + ".pem")).string();
    }
    return o;
}

}  // namespace

int main(int argc, char** argv) {
    igsim::ServerOptions options = parse_flags(argc, argv);
    const std::string cert_path = options.cert_out;
    const bool https = options.enable_https;

    // Block the stop signals before any thread exists, so every I/O thread
    // inherits the mask and only sigwait below receives them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);  // a client that vanishes must not kill the server

    try {
        igsim::Server server(std::move(options));
        server.start();
        std::cout << "igsim listening http=127.0.0.1:" << server.http_port();
        if (https) std::cout << " https=127.0.0.1:" << server.https_port() << " cert=" << cert_path;
        std::cout << std::endl;  // flush: the parent process waits for this line

        int received = 0;
        sigwait(&stop_signals, &received);
        server.stop();
        std::cerr << "igsim: stopped (signal " << received << ")\n";
    } catch (const std::exception& e) {
        std::cerr << "igsim: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
