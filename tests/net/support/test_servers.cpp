// Loopback test servers (see test_servers.hpp). Blocking I/O, one thread
// per connection; stopping shuts every socket down so blocked threads
// return, then joins them.
#include "support/test_servers.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <array>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "net/http_connect.hpp"

namespace gramkit::net::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// ---- certificate -------------------------------------------------------------

namespace {
std::string bio_to_string(BIO* bio) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(n));
}
}  // namespace

TestCertificate::TestCertificate(const std::string& subject_alt_names) {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    if (!key || !cert) throw std::runtime_error("OpenSSL: cannot create key/cert");
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), static_cast<long>(std::random_device{}() & 0x7fffffff));
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("gramkit test"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, subject_alt_names.c_str());
    if (!san) throw std::runtime_error("OpenSSL: bad subjectAltName");
    X509_add_ext(cert, san, -1);
    X509_EXTENSION_free(san);
    if (X509_sign(cert, key, EVP_sha256()) == 0) throw std::runtime_error("OpenSSL: cannot sign");

    BIO* cert_bio = BIO_new(BIO_s_mem());
    BIO* key_bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(cert_bio, cert);
    PEM_write_bio_PrivateKey(key_bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    cert_pem_ = bio_to_string(cert_bio);
    key_pem_ = bio_to_string(key_bio);
    BIO_free(cert_bio);
    BIO_free(key_bio);
    X509_free(cert);
    EVP_PKEY_free(key);

    ca_file_ = (std::filesystem::temp_directory_path() /
                ("gramkit-net-ca-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()) + ".pem"))
                   .string();
    std::ofstream(ca_file_) << cert_pem_;
}

TestCertificate::~TestCertificate() {
    std::error_code ec;
    std::filesystem::remove(ca_file_, ec);
}

std::optional<std::string> ReceivedRequest::header(std::string_view name) const {
    if (auto v = find_header(headers, name)) return std::string(*v);
    return std::nullopt;
}

// ---- the threaded accept loop ------------------------------------------------

class ThreadedServer {
public:
    using Serve = std::function<void(tcp::socket, int connection_index)>;

    explicit ThreadedServer(Serve serve) : serve_(std::move(serve)), acceptor_(io_) {
        tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
        acceptor_.open(endpoint.protocol());
        acceptor_.set_option(tcp::acceptor::reuse_address(true));
        acceptor_.bind(endpoint);
        acceptor_.listen();
        port_ = acceptor_.local_endpoint().port();
        accept_thread_ = std::thread([this] { accept_loop(); });
    }

    ~ThreadedServer() { stop(); }

    void stop() {
        {
            std::lock_guard lock(mutex_);
            if (stopping_) return;
            stopping_ = true;
            for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
        }
        stopped_.notify_all();
        ::shutdown(acceptor_.native_handle(), SHUT_RDWR);  // wakes accept() on Linux
        accept_thread_.join();
        std::vector<std::thread> threads;
        {
            std::lock_guard lock(mutex_);
            threads.swap(threads_);
        }
        for (auto& t : threads) t.join();
    }

    std::uint16_t port() const { return port_; }
    int accepted() const { return accepted_.load(); }
    asio::io_context& io() { return io_; }

    // Sockets opened by a handler (proxy upstreams) are shut down on stop too.
    void track(int fd) {
        std::lock_guard lock(mutex_);
        open_fds_.push_back(fd);
        if (stopping_) ::shutdown(fd, SHUT_RDWR);
    }
    void untrack(int fd) {
        std::lock_guard lock(mutex_);
        std::erase(open_fds_, fd);
    }
    // Blocks until the server stops (for "never answer").
    void wait_for_stop() {
        std::unique_lock lock(mutex_);
        stopped_.wait(lock, [this] { return stopping_; });
    }

private:
    void accept_loop() {
        for (;;) {
            tcp::socket socket(io_);
            beast::error_code ec;
            acceptor_.accept(socket, ec);
            std::lock_guard lock(mutex_);
            if (stopping_) return;
            if (ec) continue;
            const int index = ++accepted_;
            open_fds_.push_back(socket.native_handle());
            threads_.emplace_back([this, s = std::move(socket), index]() mutable {
                const int fd = s.native_handle();
                serve_(std::move(s), index);
                untrack(fd);
            });
        }
    }

    Serve serve_;
    asio::io_context io_;
    tcp::acceptor acceptor_;
    std::uint16_t port_ = 0;
    std::atomic<int> accepted_{0};
    std::mutex mutex_;
    std::condition_variable stopped_;
    bool stopping_ = false;
    std::vector<int> open_fds_;
    std::vector<std::thread> threads_;
    std::thread accept_thread_;
};

namespace {

// Copies bytes both ways until either side closes.
void relay(tcp::socket& a, tcp::socket& b) {
    auto pump = [](tcp::socket& from, tcp::socket& to) {
        std::array<char, 16384> buf;
        beast::error_code ec;
        for (;;) {
            const std::size_t n = from.read_some(asio::buffer(buf), ec);
            if (ec) break;
            asio::write(to, asio::buffer(buf.data(), n), ec);
            if (ec) break;
        }
        ::shutdown(from.native_handle(), SHUT_RDWR);
        ::shutdown(to.native_handle(), SHUT_RDWR);
    };
    std::thread other([&] { pump(b, a); });
    pump(a, b);
    other.join();
}

// Connects to host:port (IPv4), tracked by `server` so stop() unblocks it.
bool connect_upstream(ThreadedServer& server, tcp::socket& upstream, const std::string& host, std::uint16_t port) {
    beast::error_code ec;
    const std::string address = host == "localhost" ? "127.0.0.1" : host;
    auto ip = asio::ip::make_address_v4(address, ec);
    if (ec) return false;
    upstream.connect(tcp::endpoint(ip, port), ec);
    if (ec) return false;
    server.track(upstream.native_handle());
    return true;
}

}  // namespace

// ---- origin ------------------------------------------------------------------

struct OriginServer::State {
    Handler handler;
    std::unique_ptr<ssl::context> tls;
    mutable std::mutex mutex;
    std::vector<ReceivedRequest> requests;
    std::vector<std::string> server_names;
};

namespace {

template <class Stream>
void serve_http(Stream& stream, OriginServer::State& state, ThreadedServer& server, int connection);

}  // namespace

OriginServer::OriginServer(Handler handler, const TestCertificate* certificate)
    : state_(std::make_shared<State>()), tls_(certificate != nullptr) {
    state_->handler = std::move(handler);
    if (certificate) {
        state_->tls = std::make_unique<ssl::context>(ssl::context::tls_server);
        state_->tls->use_certificate_chain(asio::buffer(certificate->cert_pem()));
        state_->tls->use_private_key(asio::buffer(certificate->key_pem()), ssl::context::pem);
    }
    auto state = state_;
    // Set right after construction; no client knows the port before then.
    auto self = std::make_shared<ThreadedServer*>(nullptr);
    server_ = std::make_unique<ThreadedServer>([state, self](tcp::socket socket, int index) {
        ThreadedServer& server = **self;
        if (state->tls) {
            ssl::stream<tcp::socket> stream(std::move(socket), *state->tls);
            beast::error_code ec;
            stream.handshake(ssl::stream_base::server, ec);
            if (ec) return;  // e.g. the client rejected our certificate
            const char* sni = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
            {
                std::lock_guard lock(state->mutex);
                state->server_names.emplace_back(sni ? sni : "");
            }
            serve_http(stream, *state, server, index);
        } else {
            serve_http(socket, *state, server, index);
        }
    });
    *self = server_.get();
}

namespace {

template <class Stream>
void serve_http(Stream& stream, OriginServer::State& state, ThreadedServer& server, int connection) {
    beast::flat_buffer buffer;
    for (;;) {
        // Generous limits: tests send large Cookie headers on purpose.
        http::request_parser<http::string_body> parser;
        parser.header_limit(1u << 20);
        parser.body_limit(64u << 20);
        beast::error_code ec;
        http::read(stream, buffer, parser, ec);
        if (ec) return;
        http::request<http::string_body> request = parser.release();
        ReceivedRequest received;
        received.method = std::string(request.method_string());
        received.target = std::string(request.target());
        for (const auto& f : request) received.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
        received.body = request.body();
        received.connection = connection;
        {
            std::lock_guard lock(state.mutex);
            state.requests.push_back(received);
        }
        ScriptedReply reply = state.handler(received);
        switch (reply.action) {
            case ScriptedReply::Action::never_answer: server.wait_for_stop(); return;
            case ScriptedReply::Action::close: return;
            case ScriptedReply::Action::raw: asio::write(stream, asio::buffer(reply.body), ec); return;
            case ScriptedReply::Action::raw_parts_keep_open: {
                const int fd = stream.lowest_layer().native_handle();
                int on = 1, off = 0;
                ::setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on);
                for (const auto& part : reply.raw_parts) {
                    asio::write(stream, asio::buffer(part), ec);
                    if (ec) return;
                }
                ::setsockopt(fd, IPPROTO_TCP, TCP_CORK, &off, sizeof off);  // flushes
                continue;
            }
            case ScriptedReply::Action::endless:
                asio::write(stream, asio::buffer(reply.body), ec);
                while (!ec && !reply.repeat.empty()) asio::write(stream, asio::buffer(reply.repeat), ec);
                return;
            case ScriptedReply::Action::respond: break;
        }
        http::response<http::string_body> response{static_cast<http::status>(reply.status), 11};
        for (const auto& [name, value] : reply.headers) response.insert(name, value);
        response.body() = reply.body;
        response.prepare_payload();
        response.keep_alive(request.keep_alive() && !reply.close_after);
        http::write(stream, response, ec);
        if (ec || !response.keep_alive()) return;
    }
}

}  // namespace

OriginServer::~OriginServer() { server_->stop(); }
std::uint16_t OriginServer::port() const { return server_->port(); }
std::string OriginServer::url(std::string_view path, std::string_view host) const {
    return std::string(tls_ ? "https://" : "http://") + std::string(host) + ":" + std::to_string(port()) + std::string(path);
}
int OriginServer::connections_accepted() const { return server_->accepted(); }
std::vector<ReceivedRequest> OriginServer::requests() const {
    std::lock_guard lock(state_->mutex);
    return state_->requests;
}

std::vector<std::string> OriginServer::server_names() const {
    std::lock_guard lock(state_->mutex);
    return state_->server_names;
}

// ---- HTTP CONNECT proxy -------------------------------------------------------

struct ConnectProxy::State {
    std::string expected_authorization;  // "" = no auth required
    mutable std::mutex mutex;
    std::vector<std::string> targets;
    int tunnels = 0;
};

ConnectProxy::ConnectProxy(std::string username, std::string password) : state_(std::make_shared<State>()) {
    if (!username.empty()) state_->expected_authorization = "Basic " + base64_encode(username + ":" + password);
    auto state = state_;
    auto self = std::make_shared<ThreadedServer*>(nullptr);
    server_ = std::make_unique<ThreadedServer>([state, self](tcp::socket client, int) {
        ThreadedServer& server = **self;
        beast::flat_buffer buffer;
        http::request_parser<http::empty_body> parser;
        beast::error_code ec;
        http::read_header(client, buffer, parser, ec);
        if (ec) return;
        const auto& request = parser.get();
        const std::string target(request.target());
        {
            std::lock_guard lock(state->mutex);
            state->targets.push_back(target);
        }
        if (request.method() != http::verb::connect) return;
        if (!state->expected_authorization.empty() &&
            request[http::field::proxy_authorization] != state->expected_authorization) {
            const std::string denied =
                "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\n"
                "Content-Length: 0\r\n\r\n";
            asio::write(client, asio::buffer(denied), ec);
            return;
        }
        const auto colon = target.rfind(':');
        tcp::socket upstream(server.io());
        if (colon == std::string::npos ||
            !connect_upstream(server, upstream, target.substr(0, colon),
                              static_cast<std::uint16_t>(std::stoi(target.substr(colon + 1))))) {
            asio::write(client, asio::buffer(std::string("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")), ec);
            return;
        }
        {
            std::lock_guard lock(state->mutex);
            ++state->tunnels;
        }
        asio::write(client, asio::buffer(std::string("HTTP/1.1 200 Connection established\r\n\r\n")), ec);
        if (ec) return;
        const int upstream_fd = upstream.native_handle();
        relay(client, upstream);
        server.untrack(upstream_fd);
    });
    *self = server_.get();
}

ConnectProxy::~ConnectProxy() { server_->stop(); }
std::uint16_t ConnectProxy::port() const { return server_->port(); }
std::vector<std::string> ConnectProxy::targets() const {
    std::lock_guard lock(state_->mutex);
    return state_->targets;
}
int ConnectProxy::tunnels_opened() const {
    std::lock_guard lock(state_->mutex);
    return state_->tunnels;
}

// ---- SOCKS5 proxy ---------------------------------------------------------------

struct Socks5Proxy::State {
    std::string username, password;
    mutable std::mutex mutex;
    std::vector<ConnectSeen> connects;
    int auth_failures = 0;
};

Socks5Proxy::Socks5Proxy(std::string username, std::string password) : state_(std::make_shared<State>()) {
    state_->username = std::move(username);
    state_->password = std::move(password);
    auto state = state_;
    auto self = std::make_shared<ThreadedServer*>(nullptr);
    server_ = std::make_unique<ThreadedServer>([state, self](tcp::socket client, int) {
        ThreadedServer& server = **self;
        beast::error_code ec;
        auto read_n = [&](std::size_t n) {
            std::string bytes(n, '\0');
            asio::read(client, asio::buffer(bytes), ec);
            return bytes;
        };
        auto send = [&](std::initializer_list<unsigned char> bytes) {
            std::string out(bytes.begin(), bytes.end());
            asio::write(client, asio::buffer(out), ec);
        };
        std::string head = read_n(2);
        if (ec || head[0] != 5) return;
        std::string methods = read_n(static_cast<unsigned char>(head[1]));
        if (ec) return;
        const bool need_auth = !state->username.empty();
        const char wanted = need_auth ? 2 : 0;
        if (methods.find(wanted) == std::string::npos) {
            send({5, 0xFF});
            return;
        }
        send({5, static_cast<unsigned char>(wanted)});
        if (need_auth) {
            std::string ver_ulen = read_n(2);
            std::string user = read_n(static_cast<unsigned char>(ver_ulen[1]));
            std::string plen = read_n(1);
            std::string pass = read_n(static_cast<unsigned char>(plen[0]));
            if (ec) return;
            if (user != state->username || pass != state->password) {
                std::lock_guard lock(state->mutex);
                ++state->auth_failures;
                send({1, 1});
                return;
            }
            send({1, 0});
        }
        std::string request = read_n(4);
        if (ec || request[1] != 1) return;
        ConnectSeen seen;
        seen.atyp = static_cast<std::uint8_t>(request[3]);
        if (seen.atyp == 3) {
            std::string len = read_n(1);
            seen.host = read_n(static_cast<unsigned char>(len[0]));
        } else if (seen.atyp == 1) {
            std::string a = read_n(4);
            seen.host = asio::ip::address_v4(asio::ip::address_v4::bytes_type{
                                                 static_cast<unsigned char>(a[0]), static_cast<unsigned char>(a[1]),
                                                 static_cast<unsigned char>(a[2]), static_cast<unsigned char>(a[3])})
                            .to_string();
        } else {
            return;
        }
        std::string port = read_n(2);
        if (ec) return;
        seen.port = static_cast<std::uint16_t>((static_cast<unsigned char>(port[0]) << 8) | static_cast<unsigned char>(port[1]));
        {
            std::lock_guard lock(state->mutex);
            state->connects.push_back(seen);
        }
        tcp::socket upstream(server.io());
        if (!connect_upstream(server, upstream, seen.host, seen.port)) {
            send({5, 5, 0, 1, 0, 0, 0, 0, 0, 0});  // connection refused
            return;
        }
        send({5, 0, 0, 1, 127, 0, 0, 1, 0, 0});
        if (ec) return;
        const int upstream_fd = upstream.native_handle();
        relay(client, upstream);
        server.untrack(upstream_fd);
    });
    *self = server_.get();
}

Socks5Proxy::~Socks5Proxy() { server_->stop(); }
std::uint16_t Socks5Proxy::port() const { return server_->port(); }
std::vector<Socks5Proxy::ConnectSeen> Socks5Proxy::connects() const {
    std::lock_guard lock(state_->mutex);
    return state_->connects;
}
int Socks5Proxy::auth_failures() const {
    std::lock_guard lock(state_->mutex);
    return state_->auth_failures;
}

// ---- compression --------------------------------------------------------------

std::string compress(std::string_view data, Compression kind) {
    z_stream zs{};
    const int window_bits = kind == Compression::gzip ? 15 + 16 : kind == Compression::zlib ? 15 : -15;
    if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::runtime_error("deflateInit2");
    std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("deflate");
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

}  // namespace gramkit::net::testing
