// gramkit::net — lenient HTTP/cookie date parsing (RFC 6265 §5.1.1), shared
// by Set-Cookie Expires and Retry-After. The RFC 6265 algorithm accepts the
// IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), RFC 850
// ("Sunday, 06-Nov-94 08:49:37 GMT"), asctime ("Sun Nov  6 08:49:37 1994")
// and the dashed cookie variant ("Sun, 06-Nov-1994 08:49:37 GMT").
#pragma once

#include <optional>
#include <string_view>

#include "gramkit/clock.hpp"

namespace gramkit::net {

/// nullopt when the text is not a date the algorithm accepts.
std::optional<Timestamp> parse_http_date(std::string_view text);

}  // namespace gramkit::net
