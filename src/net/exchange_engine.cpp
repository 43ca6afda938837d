// The async half of the HTTP client (see exchange_engine.hpp). Every
// Asio/Beast coroutine of src/net is instantiated here, and only here,
// because each such unit costs ~30 s and >1 GB to compile.
#include "net/exchange_engine.hpp"

#include <poll.h>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <array>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "net/http_connect.hpp"
#include "net/socks5.hpp"

namespace gramkit::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

// One live connection: plain, or TLS over TCP (possibly through a tunnel).
struct Connection {
    std::unique_ptr<beast::tcp_stream> plain;
    std::unique_ptr<TlsStream> tls;
    // Bytes read but not yet parsed; bytes read past the last response stay
    // here. Bounded (max_size = read_buffer_limit()): Beast 1.74 applies
    // neither header_limit nor body_limit to chunk-size lines (extensions)
    // or trailers, so an unbounded buffer lets a server that never ends a
    // chunk line grow it without limit. Body bytes are moved out into the
    // message as they are parsed, so the bound only limits in-flight data.
    beast::flat_buffer buffer;
    SteadyClock::time_point idle_since{};

    beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
};

// The time a phase may take: its own timeout, cut short by what is left of
// the total budget. `total_binds` names the right timeout in the error.
struct PhaseBudget {
    const char* phase;
    milliseconds limit;
    bool total_binds;
    SteadyClock::time_point until;
};

PhaseBudget budget_for(const char* phase, milliseconds phase_timeout, const ExchangeRequest& req) {
    const auto now = SteadyClock::now();
    const auto remaining = std::chrono::duration_cast<milliseconds>(req.deadline - now);
    if (remaining < phase_timeout) {
        const auto limit = std::max(remaining, milliseconds{1});
        return {phase, limit, true, now + limit};
    }
    return {phase, phase_timeout, false, now + phase_timeout};
}

Error timeout_error(const PhaseBudget& b, const ExchangeRequest& req, const std::string& peer) {
    if (b.total_binds)
        return Error{ErrorCode::timeout, "total timeout (" + std::to_string(req.timeouts.total.count()) +
                                             " ms) ran out during the " + b.phase + " phase with " + peer};
    return Error{ErrorCode::timeout,
                 std::string(b.phase) + " timeout (" + std::to_string(b.limit.count()) + " ms) with " + peer};
}

bool is_timeout(const beast::error_code& ec) {
    return ec == beast::error::timeout || ec == asio::error::timed_out;
}

// The peer went away without a (complete) response.
bool is_disconnect(const beast::error_code& ec) {
    return ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
           ec == asio::error::broken_pipe || ec == asio::error::connection_aborted ||
           ec == asio::ssl::error::stream_truncated || ec == http::error::partial_message;
}

// Marks (in Error::details, cleared before the error leaves) a refusal by
// the proxy itself, as opposed to an I/O failure on the way to it.
constexpr const char* kProxyRefused = "proxy_refused";

std::string origin_peer(const ExchangeRequest& req) { return req.url.host_port(); }

std::string proxy_peer(const ProxyConfig& p) {
    const bool v6 = p.host.find(':') != std::string::npos;
    return (v6 ? "[" + p.host + "]" : p.host) + ":" + std::to_string(p.port);
}

// Everything that makes a pooled connection interchangeable with another.
// The proxy password is part of it (a tunnel authorised with other
// credentials must not be shared); the key is never logged.
std::string pool_key(const ExchangeRequest& req) {
    std::string key = req.url.scheme + "://" + req.url.host_port();
    if (req.proxy) {
        key += req.proxy->kind == ProxyConfig::socks5 ? " socks5://" : " http://";
        key += req.proxy->username + ":" + req.proxy->password + "@" + proxy_peer(*req.proxy);
    }
    return key;
}

// A pooled connection the peer closed (or wrote garbage to) is readable;
// a healthy idle one is not. Bytes the server sent after the response end
// would be read as the NEXT request's response, so any such byte anywhere
// on the way up disqualifies the connection:
//   - c.buffer: Beast's read buffer (bytes read past the last message);
//   - TLS only: SSL_pending / SSL_has_pending (decrypted bytes or a record
//     OpenSSL has already pulled in) and BIO_pending on the SSL's read BIO,
//     which is Asio's BIO pair: Asio reads up to 17 KiB from the socket at
//     a time and writes it into that BIO, so a second TLS record that
//     arrived together with the first sits there, invisible to poll();
//   - the socket itself (poll).
// Asio's ssl::stream has one more input buffer (stream_core::input_), not
// observable through its API. It can never hold bytes between operations:
// Asio fills it only when it is empty and OpenSSL wants input, i.e. after
// OpenSSL drained the BIO (SSL_ERROR_WANT_READ means the BIO had nothing),
// reads at most 17 KiB (max_tls_record_size) into it and writes it at once
// into the BIO pair, whose capacity is 17 KiB too (BIO_new_bio_pair(.., 0)
// = 17 KiB default). So all of it lands in the BIO, which we check.
bool looks_alive(Connection& c) {
    if (c.buffer.size() != 0) return false;
    if (c.tls) {
        SSL* ssl = c.tls->native_handle();
        if (SSL_pending(ssl) > 0 || SSL_has_pending(ssl) != 0) return false;
        if (BIO* rbio = SSL_get_rbio(ssl); rbio && BIO_pending(rbio) > 0) return false;
    }
    pollfd pfd{};
    pfd.fd = c.lowest().socket().native_handle();
    pfd.events = POLLIN;
    return ::poll(&pfd, 1, 0) == 0;
}

}  // namespace

struct ExchangeEngine::Impl {
    explicit Impl(const EngineOptions& o) : options(o), tls_context(ssl::context::tls_client) {}

    ~Impl() {
        work.reset();
        io.stop();
        for (auto& t : threads) t.join();
        std::lock_guard lock(pool_mutex);
        idle.clear();  // closes sockets while io is still alive
    }

    Status init() {
        SSL_CTX* ctx = tls_context.native_handle();
        SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
        beast::error_code ec;
        if (options.ca_file) {
            tls_context.load_verify_file(*options.ca_file, ec);
            if (ec) return fail(ErrorCode::invalid_argument, "cannot load CA file " + *options.ca_file + ": " + ec.message(), "ca_file");
        } else {
            tls_context.set_default_verify_paths(ec);
            if (ec) return fail(ErrorCode::unavailable, "cannot load the system CA store: " + ec.message());
        }
        tls_context.set_verify_mode(options.verify_peer ? ssl::verify_peer : ssl::verify_none);
        work.emplace(io.get_executor());
        // Always exactly one I/O thread, whatever options.io_threads says:
        // the coroutines use no strand (a resolve timer's handler and its
        // coroutine, a stream's timer and its operation may not run
        // concurrently), so more threads would race. One thread drives any
        // number of concurrent exchanges; the blocking work (retry sleeps,
        // decoding) runs on the callers' threads.
        threads.emplace_back([this] { io.run(); });
        return {};
    }

    std::unique_ptr<Connection> take_idle(const std::string& key) {
        std::lock_guard lock(pool_mutex);
        auto it = idle.find(key);
        if (it == idle.end()) return nullptr;
        auto& list = it->second;
        const auto now = SteadyClock::now();
        while (!list.empty()) {
            std::unique_ptr<Connection> c = std::move(list.back());
            list.pop_back();
            if (now - c->idle_since < options.idle_timeout && looks_alive(*c)) return c;
        }
        return nullptr;
    }

    void give_back(const std::string& key, std::unique_ptr<Connection> c) {
        if (options.max_idle_per_host == 0) return;
        c->lowest().expires_never();
        c->idle_since = SteadyClock::now();
        std::lock_guard lock(pool_mutex);
        sweep_expired_locked(c->idle_since);
        auto& list = idle[key];
        if (list.size() >= options.max_idle_per_host) list.pop_front();  // drop the oldest
        list.push_back(std::move(c));
    }

    // Closes connections idle for longer than idle_timeout under every key,
    // so keys that are never asked for again (a rotated-out proxy) do not
    // keep sockets open forever. Linear in the idle connections: small.
    void sweep_expired_locked(SteadyClock::time_point now) {
        for (auto it = idle.begin(); it != idle.end();) {
            auto& list = it->second;
            std::erase_if(list, [&](const std::unique_ptr<Connection>& c) { return now - c->idle_since >= options.idle_timeout; });
            it = list.empty() ? idle.erase(it) : std::next(it);
        }
    }

    // Connection::buffer's maximum: one header block plus 64 KiB of slack
    // for chunk-size lines, trailers and body bytes in flight.
    std::size_t read_buffer_limit() const {
        constexpr std::size_t slack = 64u << 10;
        return std::min(options.max_header_bytes, SIZE_MAX - slack) + slack;
    }

    asio::awaitable<ExchangeOutcome> run(ExchangeRequest req);
    asio::awaitable<std::unique_ptr<Connection>> open(const ExchangeRequest& req, ExchangeOutcome& out);
    asio::awaitable<Status> tunnel_http(beast::tcp_stream& s, const ExchangeRequest& req, const PhaseBudget& b);
    asio::awaitable<Status> tunnel_socks5(beast::tcp_stream& s, const ExchangeRequest& req, const PhaseBudget& b);
    template <class Stream>
    asio::awaitable<bool> exchange(Stream& s, Connection& c, const ExchangeRequest& req, ExchangeOutcome& out);

    EngineOptions options;
    asio::io_context io;
    ssl::context tls_context;
    mutable std::mutex pool_mutex;
    std::unordered_map<std::string, std::deque<std::unique_ptr<Connection>>> idle;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    std::vector<std::thread> threads;
};

asio::awaitable<ExchangeOutcome> ExchangeEngine::Impl::run(ExchangeRequest req) {
    const std::string key = pool_key(req);
    bool replaced_stale = false;
    for (;;) {
        ExchangeOutcome out;
        std::unique_ptr<Connection> conn = take_idle(key);
        const bool reused = conn != nullptr;
        if (!conn) {
            conn = co_await open(req, out);
            if (!conn) co_return out;
        }
        bool keep_alive = false;
        if (conn->tls) keep_alive = co_await exchange(*conn->tls, *conn, req, out);
        else keep_alive = co_await exchange(*conn->plain, *conn, req, out);
        if (out.response) {
            if (keep_alive) give_back(key, std::move(conn));
            co_return out;
        }
        // A reused connection that died before answering was most likely
        // closed by the server while idle: one fresh try, if harmless.
        const bool dead_before_answer = reused && !out.response_started && out.response.error().code != ErrorCode::timeout;
        if (dead_before_answer && !replaced_stale && (req.idempotent || !out.request_sent)) {
            replaced_stale = true;
            continue;
        }
        co_return out;
    }
}

asio::awaitable<std::unique_ptr<Connection>> ExchangeEngine::Impl::open(const ExchangeRequest& req, ExchangeOutcome& out) {
    auto executor = co_await asio::this_coro::executor;
    const PhaseBudget connect_budget = budget_for("connect", req.timeouts.connect, req);
    const std::string& host = req.proxy ? req.proxy->host : req.url.host;
    const std::uint16_t port = req.proxy ? req.proxy->port : req.url.port;
    const std::string peer = req.proxy ? "proxy " + proxy_peer(*req.proxy) : origin_peer(req);
    out.stage = FailureStage::connect;

    // The resolver has no expiry of its own: a timer cancels it. Shared
    // state because the timer's handler may run after this frame moved on.
    struct Resolve {
        explicit Resolve(asio::any_io_executor ex) : resolver(ex), timer(ex) {}
        tcp::resolver resolver;
        asio::steady_timer timer;
        bool timed_out = false;
    };
    auto resolve = std::make_shared<Resolve>(executor);
    resolve->timer.expires_at(connect_budget.until);
    resolve->timer.async_wait([resolve](beast::error_code ec) {
        if (!ec) {
            resolve->timed_out = true;
            resolve->resolver.cancel();
        }
    });
    beast::error_code ec;
    auto endpoints = co_await resolve->resolver.async_resolve(host, std::to_string(port),
                                                              asio::redirect_error(asio::use_awaitable, ec));
    resolve->timer.cancel();
    if (resolve->timed_out) {
        out.response = std::unexpected(timeout_error(connect_budget, req, peer));
        co_return nullptr;
    }
    if (ec) {
        out.response = fail(ErrorCode::unavailable, "cannot resolve " + peer + ": " + ec.message());
        co_return nullptr;
    }

    auto conn = std::make_unique<Connection>();
    conn->buffer.max_size(read_buffer_limit());
    auto stream = std::make_unique<beast::tcp_stream>(executor);
    stream->expires_at(connect_budget.until);
    co_await stream->async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
        if (is_timeout(ec)) out.response = std::unexpected(timeout_error(connect_budget, req, peer));
        else out.response = fail(ErrorCode::unavailable, "cannot connect to " + peer + ": " + ec.message());
        co_return nullptr;
    }
    stream->socket().set_option(tcp::no_delay(true), ec);

    if (req.proxy) {
        // Plain if/else, not ?: — GCC 12 miscompiles co_await inside a
        // conditional expression whose type has a non-trivial destructor.
        Status tunnel;
        if (req.proxy->kind == ProxyConfig::socks5) tunnel = co_await tunnel_socks5(*stream, req, connect_budget);
        else tunnel = co_await tunnel_http(*stream, req, connect_budget);
        if (!tunnel) {
            // An answer from the proxy (bad credentials, target refused) will
            // not change on retry; an I/O failure on the way there might.
            Error error = tunnel.error();
            if (error.details == kProxyRefused) {
                out.stage = FailureStage::proxy;
                error.details.clear();
            }
            out.response = std::unexpected(std::move(error));
            co_return nullptr;
        }
    }

    if (!req.url.is_https()) {
        conn->plain = std::move(stream);
        co_return conn;
    }

    out.stage = FailureStage::tls;
    const PhaseBudget tls_budget = budget_for("tls", req.timeouts.tls, req);
    conn->tls = std::make_unique<TlsStream>(std::move(*stream), tls_context);
    SSL* ssl_handle = conn->tls->native_handle();
    // IP vs name is decided by inet_pton (Url::host_is_ip); parse_url lets
    // no other numeric-looking host through ("127.1", "2130706433"), so a
    // host is either a strict dotted-quad / IPv6 literal, which OpenSSL's
    // set1_ip_asc accepts, or a name. Every call must succeed: if none pinned
    // the identity, OpenSSL would accept any certificate the CA store
    // trusts, whatever name it was issued for.
    bool pinned;
    if (req.url.host_is_ip()) {
        pinned = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_handle), req.url.host.c_str()) == 1;
    } else {
        pinned = SSL_set_tlsext_host_name(ssl_handle, req.url.host.c_str()) == 1  // SNI
                 && SSL_set1_host(ssl_handle, req.url.host.c_str()) == 1;          // hostname verification
    }
    if (!pinned) {
        out.response = fail(ErrorCode::unavailable, "cannot pin the TLS identity for host " + req.url.host + " (" +
                                                        origin_peer(req) + ")");
        co_return nullptr;
    }
    conn->lowest().expires_at(tls_budget.until);
    co_await conn->tls->async_handshake(ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
        const long verify = SSL_get_verify_result(ssl_handle);
        if (is_timeout(ec)) {
            out.response = std::unexpected(timeout_error(tls_budget, req, origin_peer(req)));
        } else if (verify != X509_V_OK) {
            out.response = fail(ErrorCode::unavailable, "certificate verification failed for host " + req.url.host + " (" +
                                                            origin_peer(req) + "): " + X509_verify_cert_error_string(verify));
        } else {
            out.response = fail(ErrorCode::unavailable, "TLS handshake with " + origin_peer(req) + " failed: " + ec.message());
        }
        co_return nullptr;
    }
    out.stage = FailureStage::none;
    co_return conn;
}

asio::awaitable<Status> ExchangeEngine::Impl::tunnel_http(beast::tcp_stream& s, const ExchangeRequest& req,
                                                          const PhaseBudget& b) {
    const ProxyConfig& proxy = *req.proxy;
    const std::string peer = "proxy " + proxy_peer(proxy);
    const std::string request = connect_request(req.url.host_port(), proxy.username, proxy.password);
    beast::error_code ec;
    s.expires_at(b.until);
    co_await asio::async_write(s, asio::buffer(request), asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) {
        beast::flat_buffer buffer;
        http::response_parser<http::empty_body> parser;
        parser.skip(true);  // a CONNECT answer's body (if any) is never read: the connection is dropped or tunnelled
        co_await http::async_read_header(s, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
        if (!ec) {
            const int status = parser.get().result_int();
            if (status == 407)
                co_return fail(ErrorCode::permission_denied,
                               peer + " rejected the credentials (HTTP 407)" +
                                   (proxy.username.empty() ? std::string(" (none were given)") : std::string()),
                               kProxyRefused);
            if (status < 200 || status > 299)
                co_return fail(ErrorCode::unavailable,
                               peer + " refused to tunnel to " + req.url.host_port() + " (HTTP " + std::to_string(status) + ")",
                               kProxyRefused);
            co_return Status{};
        }
    }
    if (is_timeout(ec)) co_return std::unexpected(timeout_error(b, req, peer));
    co_return fail(ErrorCode::unavailable, "CONNECT through " + peer + " failed: " + ec.message());
}

asio::awaitable<Status> ExchangeEngine::Impl::tunnel_socks5(beast::tcp_stream& s, const ExchangeRequest& req,
                                                            const PhaseBudget& b) {
    const ProxyConfig& proxy = *req.proxy;
    const std::string peer = "SOCKS5 proxy " + proxy_peer(proxy);
    const bool with_auth = !proxy.username.empty();
    beast::error_code ec;
    s.expires_at(b.until);
    auto io_failed = [&]() -> Error {
        if (is_timeout(ec)) return timeout_error(b, req, peer);
        return Error{ErrorCode::unavailable, "SOCKS5 handshake with " + peer + " failed: " + ec.message()};
    };

    const auto greeting = socks5::encode_greeting(with_auth);
    std::array<std::uint8_t, 2> two{};
    co_await asio::async_write(s, asio::buffer(greeting), asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) co_await asio::async_read(s, asio::buffer(two), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return std::unexpected(io_failed());
    auto method = socks5::parse_method_reply(two);
    if (!method) co_return fail(ErrorCode::upstream_error, peer + ": " + method.error().message, kProxyRefused);
    if (*method == socks5::method_none_acceptable || (*method == socks5::method_username_password && !with_auth) ||
        (*method != socks5::method_no_auth && *method != socks5::method_username_password))
        co_return fail(ErrorCode::permission_denied,
                       peer + " accepts none of the offered authentication methods" +
                           (with_auth ? std::string() : std::string(" (it may require credentials)")),
                       kProxyRefused);
    if (*method == socks5::method_username_password) {
        auto auth = socks5::encode_auth(proxy.username, proxy.password);
        if (!auth) co_return std::unexpected(auth.error());
        co_await asio::async_write(s, asio::buffer(*auth), asio::redirect_error(asio::use_awaitable, ec));
        if (!ec) co_await asio::async_read(s, asio::buffer(two), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return std::unexpected(io_failed());
        auto ok = socks5::parse_auth_reply(two);
        if (!ok) co_return fail(ErrorCode::upstream_error, peer + ": " + ok.error().message, kProxyRefused);
        if (!*ok) co_return fail(ErrorCode::permission_denied, peer + " rejected the credentials", kProxyRefused);
    }
    auto connect = socks5::encode_connect(req.url.host, req.url.port);
    if (!connect) co_return std::unexpected(connect.error());
    std::array<std::uint8_t, 5> head{};
    co_await asio::async_write(s, asio::buffer(*connect), asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) co_await asio::async_read(s, asio::buffer(head), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return std::unexpected(io_failed());
    auto remaining = socks5::connect_reply_remaining(head);
    if (!remaining) co_return fail(ErrorCode::upstream_error, peer + ": " + remaining.error().message, kProxyRefused);
    if (head[1] != 0x00)
        co_return fail(ErrorCode::unavailable,
                       peer + " could not connect to " + req.url.host_port() + ": " + socks5::reply_text(head[1]),
                       kProxyRefused);
    std::array<std::uint8_t, 260> bound{};
    co_await asio::async_read(s, asio::buffer(bound.data(), *remaining), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return std::unexpected(io_failed());
    co_return Status{};
}

template <class Stream>
asio::awaitable<bool> ExchangeEngine::Impl::exchange(Stream& s, Connection& c, const ExchangeRequest& req,
                                                     ExchangeOutcome& out) {
    const std::string peer = origin_peer(req);
    http::request<http::string_body> request;
    const http::verb verb = http::string_to_verb(req.method);
    if (verb == http::verb::unknown) request.method_string(req.method);
    else request.method(verb);
    request.target(req.url.target);
    request.version(11);
    for (const auto& [name, value] : req.headers) request.insert(name, value);
    request.body() = req.body;
    request.prepare_payload();

    beast::error_code ec;
    const PhaseBudget header_budget = budget_for("header", req.timeouts.header, req);
    c.lowest().expires_at(header_budget.until);
    out.stage = FailureStage::send;
    const std::size_t written =
        co_await http::async_write(s, request, asio::redirect_error(asio::use_awaitable, ec));
    out.request_sent = written > 0 || !ec;
    if (ec) {
        if (is_timeout(ec)) out.response = std::unexpected(timeout_error(header_budget, req, peer));
        else out.response = fail(ErrorCode::unavailable, "connection to " + peer + " failed while sending the request: " + ec.message());
        co_return false;
    }

    out.stage = FailureStage::receive;
    auto read_failed = [&](const PhaseBudget& b) -> Error {
        if (is_timeout(ec)) return timeout_error(b, req, peer);
        if (ec == http::error::header_limit)
            return Error{ErrorCode::upstream_error, "response header from " + peer + " exceeds max_header_bytes (" +
                                                        std::to_string(options.max_header_bytes) + ")"};
        if (ec == http::error::body_limit)
            return Error{ErrorCode::upstream_error, "response body from " + peer + " exceeds max_response_bytes (" +
                                                        std::to_string(options.max_response_bytes) + ")"};
        if (ec == http::error::buffer_overflow)
            return Error{ErrorCode::upstream_error,
                         "response from " + peer + " overflows the read buffer limit (max_header_bytes + 64 KiB = " +
                             std::to_string(read_buffer_limit()) +
                             " bytes): a header, chunk-size line or trailer that never ends"};
        if (is_disconnect(ec))
            return Error{ErrorCode::unavailable, "connection closed by " + peer + " before a complete response to " +
                                                     req.method + " " + std::string(req.url.path())};
        if (ec.category() == http::make_error_code(http::error::bad_version).category())
            return Error{ErrorCode::upstream_error, "malformed HTTP response from " + peer + ": " + ec.message()};
        return Error{ErrorCode::unavailable, "reading the response from " + peer + " failed: " + ec.message()};
    };

    // A parser reads one message; interim 1xx answers (100 Continue, 103
    // Early Hints) come before the real one, so each gets a fresh parser.
    std::optional<http::response_parser<http::string_body>> parser;
    for (;;) {
        parser.emplace();
        parser->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(options.max_header_bytes, UINT32_MAX)));
        parser->body_limit(options.max_response_bytes);
        if (verb == http::verb::head) parser->skip(true);
        const std::size_t header_bytes =
            co_await http::async_read_header(s, c.buffer, *parser, asio::redirect_error(asio::use_awaitable, ec));
        out.response_started = out.response_started || header_bytes > 0 || c.buffer.size() > 0 || parser->got_some();
        if (ec) {
            out.response = std::unexpected(read_failed(header_budget));
            co_return false;
        }
        const unsigned code = parser->get().result_int();
        if (code < 100 || code > 199 || code == 101) break;
    }
    if (!parser->is_done()) {
        const PhaseBudget body_budget = budget_for("body", req.timeouts.body, req);
        c.lowest().expires_at(body_budget.until);
        co_await http::async_read(s, c.buffer, *parser, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            out.response = std::unexpected(read_failed(body_budget));
            co_return false;
        }
    }

    auto& message = parser->get();
    RawResponse response;
    response.status = static_cast<int>(message.result_int());
    for (const auto& field : message) response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    response.body = std::move(message.body());
    const bool keep_alive = message.keep_alive() && !message.need_eof();
    out.stage = FailureStage::none;
    out.response = std::move(response);
    co_return keep_alive;
}

ExchangeEngine::ExchangeEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ExchangeEngine::~ExchangeEngine() = default;

Result<std::unique_ptr<ExchangeEngine>> ExchangeEngine::create(const EngineOptions& options) {
    try {
        auto impl = std::make_unique<Impl>(options);
        GK_TRY(impl->init());
        return std::unique_ptr<ExchangeEngine>(new ExchangeEngine(std::move(impl)));
    } catch (const std::exception& e) {
        return fail(ErrorCode::internal, std::string("cannot start the HTTP engine: ") + e.what());
    }
}

ExchangeOutcome ExchangeEngine::perform(const ExchangeRequest& request) {
    try {
        auto future = asio::co_spawn(impl_->io, impl_->run(request), asio::use_future);
        return future.get();
    } catch (const std::exception& e) {
        // Only bugs and resource exhaustion get here; the message names no URL.
        ExchangeOutcome out;
        out.response = fail(ErrorCode::internal, "HTTP exchange with " + request.url.host_port() + " failed: " + e.what());
        return out;
    }
}

std::size_t ExchangeEngine::idle_connections() const {
    std::lock_guard lock(impl_->pool_mutex);
    std::size_t n = 0;
    for (const auto& [key, list] : impl_->idle) n += list.size();
    return n;
}

}  // namespace gramkit::net
