// Header lookup helpers and method classification for http_types.hpp.
#include "net/http_types.hpp"

#include <algorithm>

namespace gramkit::net {

HttpTransport::~HttpTransport() = default;

namespace {
char ascii_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

std::optional<std::string_view> find_header(const Headers& headers, std::string_view name) {
    for (const auto& [key, value] : headers)
        if (iequals(key, name)) return std::string_view(value);
    return std::nullopt;
}

bool has_header(const Headers& headers, std::string_view name) { return find_header(headers, name).has_value(); }

std::optional<std::string_view> HttpResponse::header(std::string_view name) const { return find_header(headers, name); }

std::vector<std::string_view> HttpResponse::header_values(std::string_view name) const {
    std::vector<std::string_view> values;
    for (const auto& [key, value] : headers)
        if (iequals(key, name)) values.emplace_back(value);
    return values;
}

bool is_idempotent_method(std::string_view method) noexcept {
    for (std::string_view m : {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
        if (iequals(method, m)) return true;
    return false;
}

}  // namespace gramkit::net
