// igsim tests — a small synchronous HTTP/1.1 client over real loopback
// sockets, plain or TLS (verifying igsim's generated certificate and the
// "localhost" name). One Client is one keep-alive connection.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace igsim::test {

struct HttpResult {
    bool ok = false;               // a complete response was read
    std::string error;             // why not (transport or parse error)
    bool partial = false;          // the connection closed inside the body
    int status = 0;
    std::multimap<std::string, std::string> headers;  // names lower-cased
    std::string body;

    std::string header(const std::string& lower_name) const {
        auto it = headers.find(lower_name);
        return it == headers.end() ? std::string() : it->second;
    }
    /// Value of cookie `name` among the Set-Cookie headers ("" if none).
    std::string set_cookie(const std::string& name) const;
};

class Client {
public:
    /// Plain HTTP when cert_pem is empty, TLS trusting only cert_pem otherwise.
    Client(unsigned short port, std::string cert_pem = {});
    ~Client();
    Client(Client&&) noexcept;
    Client& operator=(Client&&) noexcept;

    HttpResult request(const std::string& method, const std::string& target,
                       const std::map<std::string, std::string>& headers = {}, const std::string& body = {});
    HttpResult get(const std::string& target, const std::map<std::string, std::string>& headers = {}) {
        return request("GET", target, headers);
    }
    /// Sends raw bytes and reads one response (for malformed requests).
    HttpResult raw(const std::string& bytes);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace igsim::test
