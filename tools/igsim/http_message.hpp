// igsim — the server-neutral request/response pair.
//
// The Beast server (server.cpp) converts wire messages to and from these
// plain structs, so routing, world rendering and misbehaviour decisions are
// ordinary C++ that compiles fast and is testable without sockets.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace igsim {

struct Request {
    std::string method;  // "GET", "POST", ...
    std::string target;  // path and query as received
    std::string scheme;  // "http" or "https": for absolute media URLs
    std::string host;    // Host header (or the listening address)
    std::map<std::string, std::string> headers;  // names lower-cased; repeated headers joined with ", "
    std::string body;

    const std::string* header(const std::string& lower_name) const {
        auto it = headers.find(lower_name);
        return it == headers.end() ? nullptr : &it->second;
    }
};

/// What the transport must do with a response, decided by the misbehaviour
/// policy (misbehaviour.hpp).
enum class Delivery {
    normal,
    drop,      // close the connection without sending anything
    truncate,  // send headers (full Content-Length) and half the body, then close
};

struct Response {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Length/Date/Server
    std::string body;
    bool head_only = false;  // HEAD: send the headers of `body` without it
    Delivery delivery = Delivery::normal;
    std::uint32_t delay_ms = 0;  // wait this long before answering (on a timer)

    Response& header(std::string name, std::string value) {
        headers.emplace_back(std::move(name), std::move(value));
        return *this;
    }
};

/// Standard reason phrase for the status line.
const char* reason_phrase(int status) noexcept;

}  // namespace igsim
