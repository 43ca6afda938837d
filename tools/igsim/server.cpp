// igsim — the Beast transport (see server.hpp). The only igsim unit that
// includes Asio/Beast: coroutine sessions over TCP and TLS streams. It
// turns wire requests into igsim::Request, asks App, and applies the
// transport-level misbehaviour App chose (delay on a timer, dropped
// connection, truncated body).
#include "server.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "app.hpp"
#include "certificate.hpp"

namespace igsim {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kIdleTimeout = std::chrono::seconds(60);
constexpr auto kWriteTimeout = std::chrono::seconds(30);

std::string lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

Request to_request(const http::request<http::string_body>& wire, const char* scheme, std::uint16_t port) {
    Request r;
    r.method = std::string(wire.method_string());
    r.target = std::string(wire.target());
    r.scheme = scheme;
    for (const auto& field : wire) {
        const auto raw_name = field.name_string();
        auto name = lower(std::string_view(raw_name.data(), raw_name.size()));
        auto [it, inserted] = r.headers.try_emplace(name, std::string(field.value()));
        if (!inserted) it->second += (name == "cookie" ? "; " : ", ") + std::string(field.value());
    }
    const auto host = r.header("host");
    r.host = host && !host->empty() ? *host : "127.0.0.1:" + std::to_string(port);
    r.body = wire.body();
    return r;
}

// Status line and headers written by hand: the truncation fault needs a
// Content-Length that the body does not honour, which a serializer refuses.
std::string serialize(const Response& response, bool keep_alive, std::size_t body_bytes_to_send) {
    std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " + reason_phrase(response.status) + "\r\n";
    out += "Server: igsim\r\n";
    for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
    out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
    out += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
    out += "\r\n";
    if (!response.head_only) out.append(response.body, 0, body_bytes_to_send);
    return out;
}

Response bad_request(const beast::error_code& ec) {
    const bool too_large = ec == http::error::body_limit || ec == http::error::header_limit;
    return json_response(too_large ? 413 : 400,
                         std::string(R"({"message":"bad request: )") + (too_large ? "too large" : "malformed HTTP") +
                             R"(","status":"fail"})");
}

tcp::socket& socket_of(beast::tcp_stream& s) { return s.socket(); }
tcp::socket& socket_of(beast::ssl_stream<beast::tcp_stream>& s) { return beast::get_lowest_layer(s).socket(); }

void hard_close(tcp::socket& socket) {
    beast::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
}

}  // namespace

struct Server::Impl {
    explicit Impl(ServerOptions o)
        : options(std::move(o)), app(options.world, options.behaviour, options.accounts) {}

    ServerOptions options;
    App app;  // declared before the io_context: sessions destroyed with it still use app
    CertificatePair certificate;
    ssl::context tls{ssl::context::tls_server};
    asio::io_context io{std::max(1, options.threads)};
    tcp::acceptor http_acceptor{io};
    tcp::acceptor https_acceptor{io};
    std::uint16_t http_port = 0;
    std::uint16_t https_port = 0;
    std::vector<std::thread> threads;
    bool running = false;

    std::uint16_t listen(tcp::acceptor& acceptor, std::uint16_t port) {
        const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
        acceptor.open(endpoint.protocol());
        acceptor.set_option(tcp::acceptor::reuse_address(true));
        acceptor.bind(endpoint);
        acceptor.listen(asio::socket_base::max_listen_connections);
        return acceptor.local_endpoint().port();
    }

    asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, bool use_tls) {
        for (;;) {
            beast::error_code ec;
            tcp::socket socket = co_await acceptor.async_accept(asio::make_strand(io), asio::redirect_error(asio::use_awaitable, ec));
            if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
            if (ec) continue;  // e.g. too many open files: keep accepting
            auto executor = socket.get_executor();
            if (use_tls) {
                asio::co_spawn(executor, serve_tls(std::move(socket)), asio::detached);
            } else {
                asio::co_spawn(executor, serve(beast::tcp_stream(std::move(socket)), "http", http_port),
                               asio::detached);
            }
        }
    }

    asio::awaitable<void> serve_tls(tcp::socket socket) {
        beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), tls);
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
        beast::error_code ec;
        co_await stream.async_handshake(ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;  // not TLS, or the client gave up: nothing to answer
        co_await serve(std::move(stream), "https", https_port);
    }

    // One connection: read, answer, repeat while keep-alive. Every error
    // ends only this connection; nothing escapes into the io_context.
    template <class Stream>
    asio::awaitable<void> serve(Stream stream, const char* scheme, std::uint16_t port) {
        try {
            beast::flat_buffer buffer;
            for (;;) {
                http::request_parser<http::string_body> parser;
                parser.body_limit(options.max_request_body);
                parser.header_limit(64 * 1024);
                beast::get_lowest_layer(stream).expires_after(kIdleTimeout);
                beast::error_code ec;
                co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
                if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == beast::error::timeout) break;
                if (ec && ec.category() == beast::error_code(http::error::end_of_stream).category()) {
                    // Malformed request: answer it clearly, then close.
                    const auto out = serialize(bad_request(ec), false, SIZE_MAX);
                    beast::get_lowest_layer(stream).expires_after(kWriteTimeout);
                    co_await asio::async_write(stream, asio::buffer(out), asio::redirect_error(asio::use_awaitable, ec));
                    break;
                }
                if (ec) break;  // reset, TLS failure...

                const auto& wire = parser.get();
                const Request request = to_request(wire, scheme, port);
                Response response = app.handle(request);

                if (response.delay_ms > 0) {
                    // A timer, not a sleep: other connections keep being served.
                    asio::steady_timer timer(co_await asio::this_coro::executor,
                                             std::chrono::milliseconds(response.delay_ms));
                    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
                }
                if (response.delivery == Delivery::drop) {
                    hard_close(socket_of(stream));
                    co_return;
                }
                const bool truncate = response.delivery == Delivery::truncate && !response.head_only;
                const bool keep_alive = wire.keep_alive() && !truncate;
                const auto out =
                    serialize(response, keep_alive, truncate ? response.body.size() / 2 : response.body.size());
                beast::get_lowest_layer(stream).expires_after(kWriteTimeout);
                co_await asio::async_write(stream, asio::buffer(out), asio::redirect_error(asio::use_awaitable, ec));
                if (ec) break;
                if (truncate) {
                    hard_close(socket_of(stream));
                    co_return;
                }
                if (!keep_alive) break;
            }
            co_await close(stream);
        } catch (const std::exception&) {
            // A bug in one connection must not take the server down.
        }
    }

    static asio::awaitable<void> close(beast::tcp_stream& stream) {
        beast::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        co_return;
    }
    static asio::awaitable<void> close(beast::ssl_stream<beast::tcp_stream>& stream) {
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
        beast::error_code ignored;
        co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ignored));
    }
};

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Server::~Server() { stop(); }

void Server::start() {
    Impl& s = *impl_;
    if (s.running) return;
    try {
        if (s.options.enable_https) {
            s.certificate = generate_self_signed_certificate();
            s.tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                              ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
            s.tls.use_certificate_chain(asio::buffer(s.certificate.certificate_pem));
            s.tls.use_private_key(asio::buffer(s.certificate.private_key_pem), ssl::context::pem);
            if (!s.options.cert_out.empty()) {
                // Written before the ready line, atomically, so a reader
                // never sees half a certificate.
                const std::filesystem::path path(s.options.cert_out);
                const auto temporary = std::filesystem::path(path.string() + ".tmp");
                {
                    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
                    file << s.certificate.certificate_pem;
                    if (!file.flush()) throw std::runtime_error("cannot write " + temporary.string());
                }
                std::filesystem::rename(temporary, path);
            }
        }
        s.http_port = s.listen(s.http_acceptor, s.options.http_port);
        if (s.options.enable_https) s.https_port = s.listen(s.https_acceptor, s.options.https_port);
    } catch (const std::runtime_error&) {
        throw;
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string("igsim cannot start: ") + e.what());
    }
    asio::co_spawn(s.io, s.accept_loop(s.http_acceptor, false), asio::detached);
    if (s.options.enable_https) asio::co_spawn(s.io, s.accept_loop(s.https_acceptor, true), asio::detached);
    s.running = true;
    for (int i = 0; i < std::max(1, s.options.threads); ++i) s.threads.emplace_back([&s] { s.io.run(); });
}

void Server::stop() {
    Impl& s = *impl_;
    if (!s.running) return;
    s.running = false;
    asio::post(s.io, [&s] {
        beast::error_code ignored;
        s.http_acceptor.close(ignored);
        s.https_acceptor.close(ignored);
    });
    s.io.stop();  // open connections are abandoned; their frames die with the io_context
    for (auto& t : s.threads) t.join();
    s.threads.clear();
}

std::uint16_t Server::http_port() const noexcept { return impl_->http_port; }
std::uint16_t Server::https_port() const noexcept { return impl_->https_port; }
const std::string& Server::certificate_pem() const noexcept { return impl_->certificate.certificate_pem; }
App& Server::app() noexcept { return impl_->app; }
const World& Server::world() const noexcept { return impl_->app.world(); }

}  // namespace igsim
