// igsim tests — the synchronous test client (see http_test_client.hpp).
#include "http_test_client.hpp"

#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace igsim::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

std::string HttpResult::set_cookie(const std::string& name) const {
    auto [begin, end] = headers.equal_range("set-cookie");
    for (auto it = begin; it != end; ++it) {
        const auto& line = it->second;
        if (line.starts_with(name + "=")) return line.substr(name.size() + 1, line.find(';') - name.size() - 1);
    }
    return {};
}

struct Client::Impl {
    asio::io_context io;
    ssl::context tls{ssl::context::tls_client};
    std::optional<beast::tcp_stream> plain;
    std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
    beast::flat_buffer buffer;

    template <class Stream>
    HttpResult exchange(Stream& stream, const std::string& bytes) {
        HttpResult result;
        beast::error_code ec;
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(20));
        asio::write(stream, asio::buffer(bytes), ec);
        if (ec) {
            result.error = "write: " + ec.message();
            return result;
        }
        http::response_parser<http::string_body> parser;
        parser.body_limit(64 << 20);
        http::read(stream, buffer, parser, ec);
        if (parser.is_header_done()) {
            result.status = parser.get().result_int();
            for (const auto& field : parser.get()) {
                std::string name(field.name_string());
                for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                result.headers.emplace(name, std::string(field.value()));
            }
            result.body = parser.get().body();
        }
        if (ec) {
            result.error = ec.message();
            result.partial = ec == http::error::partial_message;
            return result;
        }
        result.ok = true;
        return result;
    }

    HttpResult send(const std::string& bytes) {
        return secure ? exchange(*secure, bytes) : exchange(*plain, bytes);
    }
};

Client::Client(unsigned short port, std::string cert_pem) : impl_(std::make_unique<Impl>()) {
    tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
    if (cert_pem.empty()) {
        impl_->plain.emplace(impl_->io);
        impl_->plain->connect(endpoint);
        return;
    }
    impl_->tls.add_certificate_authority(asio::buffer(cert_pem));
    impl_->tls.set_verify_mode(ssl::verify_peer);
    impl_->secure.emplace(impl_->io, impl_->tls);
    impl_->secure->set_verify_callback(ssl::host_name_verification("localhost"));
    SSL_set_tlsext_host_name(impl_->secure->native_handle(), "localhost");
    beast::get_lowest_layer(*impl_->secure).connect(endpoint);
    impl_->secure->handshake(ssl::stream_base::client);  // throws when verification fails
}

Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

HttpResult Client::request(const std::string& method, const std::string& target,
                           const std::map<std::string, std::string>& headers, const std::string& body) {
    std::string bytes = method + " " + target + " HTTP/1.1\r\n";
    if (!headers.contains("Host")) bytes += "Host: localhost\r\n";
    for (const auto& [name, value] : headers) bytes += name + ": " + value + "\r\n";
    if (!body.empty() || method == "POST") bytes += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    bytes += "\r\n" + body;
    return impl_->send(bytes);
}

HttpResult Client::raw(const std::string& bytes) { return impl_->send(bytes); }

}  // namespace igsim::test
