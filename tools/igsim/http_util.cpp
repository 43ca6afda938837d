// igsim — HTTP text helpers (see http_util.hpp).
#include "http_util.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>

#include <zlib.h>

#include "http_message.hpp"

namespace igsim {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool parse_u64(std::string_view text, std::uint64_t& out) {
    if (text.empty()) return false;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && ptr == text.data() + text.size();
}

constexpr std::string_view kBase64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

const char* reason_phrase(int status) noexcept {
    switch (status) {
        case 200: return "OK";
        case 206: return "Partial Content";
        case 302: return "Found";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 413: return "Payload Too Large";
        case 416: return "Range Not Satisfiable";
        case 429: return "Too Many Requests";
        case 500: return "Internal Server Error";
        case 503: return "Service Unavailable";
        default: return "Unknown";
    }
}

std::string url_decode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%' && i + 2 < text.size()) {
            const int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += (plus_is_space && c == '+') ? ' ' : c;
    }
    return out;
}

std::string url_encode(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

std::map<std::string, std::string> parse_query(std::string_view query) {
    std::map<std::string, std::string> out;
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        auto key = url_decode(pair.substr(0, eq));
        auto value = eq == std::string_view::npos ? std::string{} : url_decode(pair.substr(eq + 1));
        out.try_emplace(std::move(key), std::move(value));
    }
    return out;
}

std::map<std::string, std::string> parse_cookies(std::string_view header) {
    std::map<std::string, std::string> out;
    while (!header.empty()) {
        const auto semi = header.find(';');
        const auto pair = trim(header.substr(0, semi));
        header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
        const auto eq = pair.find('=');
        if (eq == std::string_view::npos || eq == 0) continue;
        out.try_emplace(std::string(trim(pair.substr(0, eq))), std::string(trim(pair.substr(eq + 1))));
    }
    return out;
}

std::pair<std::string_view, std::string_view> split_target(std::string_view target) {
    const auto q = target.find('?');
    if (q == std::string_view::npos) return {target, {}};
    return {target.substr(0, q), target.substr(q + 1)};
}

RangeResult parse_range(std::string_view header, std::uint64_t size, ByteRange& out) {
    header = trim(header);
    if (!header.starts_with("bytes=")) return RangeResult::none;
    auto spec = trim(header.substr(6));
    if (spec.find(',') != std::string_view::npos) return RangeResult::none;
    const auto dash = spec.find('-');
    if (dash == std::string_view::npos) return RangeResult::none;
    const auto first_text = trim(spec.substr(0, dash)), last_text = trim(spec.substr(dash + 1));
    std::uint64_t first = 0, last = 0;
    if (first_text.empty()) {  // suffix: the last n bytes
        if (!parse_u64(last_text, last)) return RangeResult::none;
        if (last == 0 || size == 0) return RangeResult::unsatisfiable;
        out.first = size - std::min(last, size);
        out.last = size - 1;
        return RangeResult::satisfiable;
    }
    if (!parse_u64(first_text, first)) return RangeResult::none;
    if (last_text.empty()) {
        last = size == 0 ? 0 : size - 1;
    } else if (!parse_u64(last_text, last) || last < first) {
        return RangeResult::none;  // syntactically invalid: ignore the header
    }
    if (first >= size) return RangeResult::unsatisfiable;
    out.first = first;
    out.last = std::min(last, size - 1);
    return RangeResult::satisfiable;
}

bool accepts_gzip(std::string_view accept_encoding) {
    while (!accept_encoding.empty()) {
        const auto comma = accept_encoding.find(',');
        auto item = trim(accept_encoding.substr(0, comma));
        accept_encoding = comma == std::string_view::npos ? std::string_view{} : accept_encoding.substr(comma + 1);
        const auto semi = item.find(';');
        const auto coding = trim(item.substr(0, semi));
        if (coding != "gzip" && coding != "*") continue;
        if (semi != std::string_view::npos) {
            const auto params = trim(item.substr(semi + 1));
            if (params == "q=0" || params == "q=0.0" || params == "q=0.00" || params == "q=0.000") continue;
        }
        return true;
    }
    return false;
}

std::string gzip_compress(std::string_view data) {
    z_stream zs{};
    // windowBits 15 + 16 selects the gzip wrapper.
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::runtime_error("deflateInit2 failed");
    std::string out(deflateBound(&zs, static_cast<uLong>(data.size())) + 32, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) throw std::runtime_error("gzip compression failed");
    return out;
}

std::string base64_encode(std::string_view data) {
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < data.size(); i += 3) {
        const auto n = (static_cast<unsigned char>(data[i]) << 16) | (static_cast<unsigned char>(data[i + 1]) << 8) |
                       static_cast<unsigned char>(data[i + 2]);
        out += kBase64[(n >> 18) & 63];
        out += kBase64[(n >> 12) & 63];
        out += kBase64[(n >> 6) & 63];
        out += kBase64[n & 63];
    }
    if (i < data.size()) {
        unsigned n = static_cast<unsigned char>(data[i]) << 16;
        if (i + 1 < data.size()) n |= static_cast<unsigned char>(data[i + 1]) << 8;
        out += kBase64[(n >> 18) & 63];
        out += kBase64[(n >> 12) & 63];
        out += i + 1 < data.size() ? kBase64[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '=') {
            if (i + 2 < text.size()) return std::nullopt;
            break;
        }
        const auto pos = kBase64.find(c);
        if (pos == std::string_view::npos) return std::nullopt;
        buffer = (buffer << 6) | static_cast<unsigned>(pos);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xFF);
        }
    }
    return out;
}

}  // namespace igsim
