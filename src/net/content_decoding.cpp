// zlib inflate for gzip/deflate bodies (see content_decoding.hpp).
#include "net/content_decoding.hpp"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <vector>

namespace gramkit::net {

namespace {

enum class Wrapper { gzip_or_zlib, raw };

// window_bits: 15 + 32 auto-detects gzip and zlib headers; -15 = raw deflate.
Result<std::string> inflate_all(std::string_view in, Wrapper wrapper, std::size_t limit) {
    z_stream zs{};
    if (inflateInit2(&zs, wrapper == Wrapper::raw ? -15 : 15 + 32) != Z_OK)
        return fail(ErrorCode::internal, "zlib inflateInit2 failed");
    std::string out;
    char chunk[16384];
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        zs.next_out = reinterpret_cast<Bytef*>(chunk);
        zs.avail_out = sizeof chunk;
        rc = inflate(&zs, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) {
            inflateEnd(&zs);
            return fail(ErrorCode::upstream_error, "corrupt compressed response body");
        }
        out.append(chunk, sizeof chunk - zs.avail_out);
        if (out.size() > limit) {
            inflateEnd(&zs);
            return fail(ErrorCode::upstream_error,
                        "decoded response body exceeds max_response_bytes (" + std::to_string(limit) + ")");
        }
        if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
            inflateEnd(&zs);
            return fail(ErrorCode::upstream_error, "truncated compressed response body");
        }
    }
    inflateEnd(&zs);
    return out;
}

std::string trim_lower(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

}  // namespace

Result<std::string> decode_content(std::string_view content_encoding, std::string_view body, std::size_t limit) {
    std::vector<std::string> codings;
    std::size_t pos = 0;
    while (pos <= content_encoding.size()) {
        std::size_t comma = std::min(content_encoding.find(',', pos), content_encoding.size());
        std::string coding = trim_lower(content_encoding.substr(pos, comma - pos));
        if (!coding.empty() && coding != "identity") codings.push_back(std::move(coding));
        pos = comma + 1;
    }
    // An empty body has nothing to undo (and an empty input is not a valid
    // zlib stream): bodiless 204/304/429 answers stay answers.
    if (body.empty()) return std::string();
    std::string data(body);
    // Codings are listed in the order they were applied: undo from the right.
    for (auto it = codings.rbegin(); it != codings.rend(); ++it) {
        Result<std::string> decoded;
        if (*it == "gzip" || *it == "x-gzip") {
            decoded = inflate_all(data, Wrapper::gzip_or_zlib, limit);
        } else if (*it == "deflate") {
            decoded = inflate_all(data, Wrapper::gzip_or_zlib, limit);
            if (!decoded && decoded.error().message.starts_with("corrupt"))
                decoded = inflate_all(data, Wrapper::raw, limit);
        } else {
            return fail(ErrorCode::upstream_error, "unsupported Content-Encoding '" + *it + "'");
        }
        if (!decoded) return decoded;
        data = std::move(*decoded);
    }
    return data;
}

}  // namespace gramkit::net
