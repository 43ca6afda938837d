// gramkit — hashtags and mentions in caption text.
//
// Instagram links "#tag" and "@user" in captions; the parsers store them
// with each post so that analytics and search need not re-scan captions.
//
// Rules (close to what Instagram's apps link):
//  - a hashtag is '#' followed by word characters: ASCII letters, digits,
//    '_', and any non-ASCII character that is not punctuation, a symbol, a
//    space or an emoji (so "#café", "#東京", "#पेरिस" are whole tags); it
//    stops at the first other character and must not be digits only;
//  - a mention is '@' followed by [A-Za-z0-9._] (at most 30, trailing dots
//    dropped) and must not follow a word character ("a@b.com" is no mention);
//  - results have no '#'/'@', keep the first spelling and their order, and
//    are deduplicated (hashtags ignoring ASCII case, as Instagram does);
//  - invalid UTF-8 ends a tag and is otherwise skipped.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gramkit::instagram {

std::vector<std::string> extract_hashtags(std::string_view caption);
std::vector<std::string> extract_mentions(std::string_view caption);

}  // namespace gramkit::instagram
