// Instagram's endpoints as gramkit calls them: URLs, forms and the checks on
// the values spliced into them (usernames, tags, shortcodes, ids). Pure
// string work, no I/O — the service (instagram_service.cpp) sends them.
//
// Paths and parameters follow what the web app sends today and what the
// public scrapers (instaloader, instagrapi, gallery-dl) call; igsim
// (tools/igsim) serves the same ones.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gramkit/error.hpp"

namespace gramkit::instagram::endpoints {

/// application/x-www-form-urlencoded (also used for query values): unreserved
/// bytes as they are, space as '+', everything else %XX.
std::string form_encode(std::string_view value);
std::string form_body(const std::vector<std::pair<std::string, std::string>>& fields);

/// `invalid_argument` naming the field unless the value is a plausible
/// Instagram username (1..30 of [A-Za-z0-9._]).
Status check_username(std::string_view username);
/// A tag without its leading '#' (removed if present): 1..100 bytes of
/// letters (any script), digits and '_' — no spaces, '#', '/', '?', '&'.
Result<std::string> normalize_tag(std::string_view tag);
/// A shortcode: 1..64 of [A-Za-z0-9_-].
bool is_shortcode(std::string_view s) noexcept;
/// A numeric media id, optionally "<pk>_<owner pk>" as the API writes it.
bool is_media_id(std::string_view s) noexcept;

/// The web app's password envelope, version 0 (plaintext inside TLS):
/// "#PWD_INSTAGRAM_BROWSER:0:<unix seconds>:<password>". Secret.
std::string enc_password(std::string_view password, std::int64_t unix_seconds);

std::string home_url(std::string_view web_base);
std::string login_url(std::string_view web_base);
std::string two_factor_url(std::string_view web_base);
std::string profile_url(std::string_view web_base, std::string_view username);
/// POST target of the GraphQL timeline query; its form is timeline_form().
std::string graphql_url(std::string_view web_base);
std::string timeline_form(std::string_view doc_id, std::string_view username, int first,
                          const std::optional<std::string>& after);
std::string hashtag_url(std::string_view web_base, std::string_view tag, const std::optional<std::string>& max_id);
std::string media_info_url(std::string_view api_base, std::string_view media_id);
std::string shortcode_url(std::string_view web_base, std::string_view shortcode);

}  // namespace gramkit::instagram::endpoints
