// Cookie jars: the stored JSON form, merging, and parsing of browser
// exports. Cookie values are secrets; no message here contains one.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gramkit/clock.hpp"
#include "gramkit/sessions.hpp"

namespace gramkit::accounts {

/// The plaintext stored (encrypted) in sessions.cookies: a JSON array.
std::string encode_cookie_jar(const std::vector<Cookie>& cookies);
Result<std::vector<Cookie>> decode_cookie_jar(std::string_view json);

/// Applies `incoming` to `jar`: a cookie with the same name, domain and path
/// replaces the old one; one that has already expired at `now` deletes it.
void merge_cookies(std::vector<Cookie>& jar, const std::vector<Cookie>& incoming, Timestamp now);

/// Drops cookies that have expired at `now`.
void drop_expired(std::vector<Cookie>& jar, Timestamp now);

/// Checks name/domain/path for characters that cannot appear in a cookie.
/// `index` is used in the message ("cookie 3: ...").
Status validate_cookie(const Cookie& c, std::size_t index);

}  // namespace gramkit::accounts
