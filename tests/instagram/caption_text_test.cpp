// Hashtag and mention extraction (caption_text.hpp).
#include <gtest/gtest.h>

#include "instagram/caption_text.hpp"

namespace gramkit::instagram {
namespace {

using Strings = std::vector<std::string>;

TEST(CaptionText, HashtagsStopAtPunctuationAndWhitespace) {
    EXPECT_EQ(extract_hashtags("Hello #world, #foo_bar! #a.b (#paren) #end"),
              (Strings{"world", "foo_bar", "a", "paren", "end"}));
}

TEST(CaptionText, HashtagsKeepNonAsciiLetters) {
    EXPECT_EQ(extract_hashtags("#café #東京タワー #пример #पेरिस #ñandú"),
              (Strings{"café", "東京タワー", "пример", "पेरिस", "ñandú"}));
}

TEST(CaptionText, EmojiAndTypographicPunctuationEndATag) {
    EXPECT_EQ(extract_hashtags("#sun\xE2\x98\x80\xEF\xB8\x8F #love\xF0\x9F\x98\x8D #it\xE2\x80\x99s #x\xC2\xA0y"),
              (Strings{"sun", "love", "it", "x"}));
}

TEST(CaptionText, HashtagsDedupeIgnoringAsciiCaseKeepingFirstSpelling) {
    EXPECT_EQ(extract_hashtags("#Paris #paris #PARIS #london #Paris"), (Strings{"Paris", "london"}));
}

TEST(CaptionText, AdjacentTagsAndDigitOnlyTags) {
    EXPECT_EQ(extract_hashtags("#one#two #1 #2022graduate ## #"), (Strings{"one", "two", "2022graduate"}));
}

TEST(CaptionText, InvalidUtf8EndsATagAndIsSkipped) {
    EXPECT_EQ(extract_hashtags("#ab\xFF" "cd #ok \xC3"), (Strings{"ab", "ok"}));
    EXPECT_EQ(extract_mentions("\xE2\x82 @name"), (Strings{"name"}));
}

TEST(CaptionText, Mentions) {
    EXPECT_EQ(extract_mentions("Thanks @nasa. and @space_x, (@a.b.c) @nasa again"), (Strings{"nasa", "space_x", "a.b.c"}));
}

TEST(CaptionText, MentionsIgnoreEmailAddressesAndEmptyNames) {
    EXPECT_EQ(extract_mentions("mail me: me@example.com or @ alone or @@x"), (Strings{"x"}));
}

TEST(CaptionText, MentionsAreAtMostThirtyCharacters) {
    EXPECT_EQ(extract_mentions("@abcdefghijklmnopqrstuvwxyz0123456789"), (Strings{"abcdefghijklmnopqrstuvwxyz0123"}));
}

TEST(CaptionText, EmptyCaption) {
    EXPECT_TRUE(extract_hashtags("").empty());
    EXPECT_TRUE(extract_mentions("").empty());
}

}  // namespace
}  // namespace gramkit::instagram

namespace gramkit::instagram {
namespace {

// A hostile caption with tens of thousands of distinct tags and mentions:
// every one is kept once (dedupe is by set, not by scanning the list, so
// this stays linear — quadratic dedupe took half a minute at 100 000).
TEST(CaptionText, ManyDistinctTagsAndMentionsEachAppearOnce) {
    std::string caption;
    for (int i = 0; i < 50'000; ++i) caption += "#tag" + std::to_string(i) + " @user" + std::to_string(i) + " ";
    caption += "#TAG7 @user7";  // repeats
    const auto tags = extract_hashtags(caption);
    const auto mentions = extract_mentions(caption);
    ASSERT_EQ(tags.size(), 50'000u);
    ASSERT_EQ(mentions.size(), 50'000u);
    EXPECT_EQ(tags[7], "tag7");
    EXPECT_EQ(mentions.back(), "user49999");
}

}  // namespace
}  // namespace gramkit::instagram
