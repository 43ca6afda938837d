// gramkit::net — removing a response's Content-Encoding (gzip, deflate) with
// zlib, bounded so a small compressed body cannot expand without limit.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "gramkit/error.hpp"

namespace gramkit::net {

/// Decodes `body` per the Content-Encoding header value ("", "identity",
/// "gzip", "x-gzip", "deflate"; a comma list is applied right to left).
/// `deflate` accepts zlib-wrapped and raw streams (servers send both).
/// An empty body decodes to an empty body, whatever the coding.
/// Errors: upstream_error for corrupt data or an unknown coding;
/// upstream_error naming max_response_bytes when the output exceeds `limit`.
Result<std::string> decode_content(std::string_view content_encoding, std::string_view body, std::size_t limit);

}  // namespace gramkit::net
