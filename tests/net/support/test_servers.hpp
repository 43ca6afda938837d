// Loopback servers for the HTTP client tests: a scriptable HTTP/HTTPS
// origin, an HTTP CONNECT proxy and a SOCKS5 proxy, plus a self-signed
// certificate generator and gzip helpers. Blocking Asio/Beast I/O on a
// thread per connection: simple to reason about, and all of it in one
// translation unit (test_servers.cpp) to keep compile times down.
//
// Every server binds 127.0.0.1:0 and stops (closing every connection) in
// its destructor. Observations (requests, connections, proxy targets) are
// readable from the test thread at any time.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_types.hpp"

namespace gramkit::net::testing {

/// A self-signed certificate (ECDSA P-256) for `subject_alt_names`
/// ("DNS:localhost", "IP:127.0.0.1"), with its key, and a PEM file of the
/// certificate a client can trust (removed by the destructor).
class TestCertificate {
public:
    explicit TestCertificate(const std::string& subject_alt_names);
    ~TestCertificate();
    TestCertificate(const TestCertificate&) = delete;
    TestCertificate& operator=(const TestCertificate&) = delete;
    const std::string& cert_pem() const { return cert_pem_; }
    const std::string& key_pem() const { return key_pem_; }
    const std::string& ca_file() const { return ca_file_; }

private:
    std::string cert_pem_, key_pem_, ca_file_;
};

struct ReceivedRequest {
    std::string method;
    std::string target;
    Headers headers;
    std::string body;
    int connection = 0;  // 1-based index of the connection it arrived on
    std::optional<std::string> header(std::string_view name) const;
};

struct ScriptedReply {
    enum class Action {
        respond,       // send the response below
        never_answer,  // hold the connection silently until the server stops
        close,         // close the connection without a byte
        raw,           // write `body` verbatim, then close
        // write each of `raw_parts` with its own write (over TLS: its own
        // record), corked (TCP_CORK) so they leave in one TCP segment, then
        // keep serving the connection — a server that says more than asked
        raw_parts_keep_open,
        // write `body`, then `repeat` over and over until the peer goes
        // away or the server stops — a response that never ends
        endless,
    };
    Action action = Action::respond;
    int status = 200;
    Headers headers;
    std::string body;
    bool close_after = false;  // Connection: close
    std::vector<std::string> raw_parts;  // for raw_parts_keep_open
    std::string repeat;                  // for endless
};

using Handler = std::function<ScriptedReply(const ReceivedRequest&)>;

class ThreadedServer;  // implementation detail of test_servers.cpp

/// HTTP origin (or HTTPS when given a certificate).
class OriginServer {
public:
    explicit OriginServer(Handler handler, const TestCertificate* certificate = nullptr);
    ~OriginServer();
    std::uint16_t port() const;
    /// "http(s)://<host>:<port><path>"
    std::string url(std::string_view path, std::string_view host = "127.0.0.1") const;
    int connections_accepted() const;
    std::vector<ReceivedRequest> requests() const;
    /// The SNI host name of each completed TLS handshake ("" when none was sent).
    std::vector<std::string> server_names() const;

    struct State;  // implementation detail (public for test_servers.cpp's free functions)

private:
    std::shared_ptr<State> state_;
    std::unique_ptr<ThreadedServer> server_;
    bool tls_;
};

/// HTTP CONNECT proxy requiring `username`/`password` (Basic) when
/// username is not empty.
class ConnectProxy {
public:
    ConnectProxy(std::string username, std::string password);
    ~ConnectProxy();
    std::uint16_t port() const;
    std::vector<std::string> targets() const;  // CONNECT targets, also refused ones
    int tunnels_opened() const;

private:
    struct State;
    std::shared_ptr<State> state_;
    std::unique_ptr<ThreadedServer> server_;
};

/// SOCKS5 proxy requiring username/password (RFC 1929) when username is
/// not empty. Resolves "localhost" and IPv4 literals; connects to IPv4.
class Socks5Proxy {
public:
    struct ConnectSeen {
        std::uint8_t atyp = 0;
        std::string host;  // the name (ATYP 3) or the address in text form
        std::uint16_t port = 0;
    };
    Socks5Proxy(std::string username, std::string password);
    ~Socks5Proxy();
    std::uint16_t port() const;
    std::vector<ConnectSeen> connects() const;
    int auth_failures() const;

private:
    struct State;
    std::shared_ptr<State> state_;
    std::unique_ptr<ThreadedServer> server_;
};

enum class Compression { gzip, zlib, raw_deflate };
std::string compress(std::string_view data, Compression kind);

}  // namespace gramkit::net::testing
