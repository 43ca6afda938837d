// igsim — small HTTP text helpers: URL decoding, query strings, form
// bodies, cookies, Range headers, gzip. Pure functions, no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace igsim {

/// Percent-decoding; with `plus_is_space` (forms and query strings) '+' is
/// a space. Malformed escapes are kept literally.
std::string url_decode(std::string_view text, bool plus_is_space = true);
std::string url_encode(std::string_view text);

/// "a=1&b=2" → {a:1, b:2} (decoded; the first occurrence of a key wins).
std::map<std::string, std::string> parse_query(std::string_view query);

/// Cookie request header "a=1; b=2" → {a:1, b:2}.
std::map<std::string, std::string> parse_cookies(std::string_view header);

/// Splits a request target into path and query (without '?').
std::pair<std::string_view, std::string_view> split_target(std::string_view target);

struct ByteRange {
    std::uint64_t first = 0;
    std::uint64_t last = 0;  // inclusive
};

enum class RangeResult { none, satisfiable, unsatisfiable };

/// Parses a single "bytes=a-b" / "bytes=a-" / "bytes=-n" range against a
/// resource of `size` bytes. Multiple ranges or other units → none (the
/// caller serves the whole resource, which RFC 9110 allows).
RangeResult parse_range(std::string_view header, std::uint64_t size, ByteRange& out);

/// Whether an Accept-Encoding header value accepts gzip (q=0 excluded).
bool accepts_gzip(std::string_view accept_encoding);

/// gzip (RFC 1952) compression of `data`.
std::string gzip_compress(std::string_view data);

/// Standard base64 of bytes (for opaque cursors).
std::string base64_encode(std::string_view data);
/// Inverse of base64_encode; nullopt on malformed input.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace igsim
