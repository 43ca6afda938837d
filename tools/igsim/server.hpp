// igsim — the simulator as an object: HTTP and HTTPS listeners on
// 127.0.0.1 serving one App. Tests run it in-process; main.cpp wraps it
// in the `igsim` executable. No Boost in this header.
//
//   igsim::ServerOptions options;            // ports 0 = pick free ones
//   options.behaviour.allow_anonymous = true;
//   igsim::Server server(std::move(options));
//   server.start();                          // listening when it returns
//   ... server.http_port(), server.https_port(), server.certificate_pem()
//   server.stop();                           // also done by the destructor
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "behaviour.hpp"
#include "world.hpp"

namespace igsim {

class App;

struct ServerOptions {
    WorldOptions world;
    Behaviour behaviour;
    std::vector<BotAccount> accounts;
    std::uint16_t http_port = 0;   // 0 = a free port
    std::uint16_t https_port = 0;  // 0 = a free port
    bool enable_https = true;
    std::string cert_out;  // write the certificate PEM here when not empty
    int threads = 2;
    std::size_t max_request_body = 1 << 20;
};

class Server {
public:
    explicit Server(ServerOptions options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Generates the certificate, binds both ports and starts serving on
    /// background threads. Throws std::runtime_error (bind failure, bad
    /// options, certificate file not writable). A Server starts once.
    void start();
    /// Stops accepting and serving and joins the threads; idempotent.
    /// Connections still open are closed when the Server is destroyed.
    void stop();

    std::uint16_t http_port() const noexcept;
    std::uint16_t https_port() const noexcept;  // 0 when HTTPS is disabled
    const std::string& certificate_pem() const noexcept;
    /// The generated world (users, posts, hashtags) for assertions.
    const World& world() const noexcept;
    /// The handler (include app.hpp to use it) for in-process inspection.
    App& app() noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace igsim
