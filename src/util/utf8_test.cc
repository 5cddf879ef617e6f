#include "util/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace tend {
namespace {

// Each ill-formed sequence becomes one U+FFFD over its maximal subpart: the counts are those of
// Python 3's bytes.decode("utf-8", errors="replace") for the same bytes (what supervisord shows).
size_t replacements(std::string_view s) {
  size_t count = 0;
  size_t i = 0;
  while (i < s.size()) {
    size_t n = utf8_sequence_length(s.substr(i));
    if (n == 0) {
      ++count;
      n = utf8_invalid_length(s.substr(i));
      EXPECT_GE(n, 1u);
    }
    i += n;
  }
  return count;
}

TEST(Utf8, InvalidSequencesAreReplacedOverTheirMaximalSubpart) {
  const std::pair<std::string, size_t> cases[] = {
      {"x\xE2\x82", 1},         {"\xE2\x82x", 1},         {"\xF0\x9F\x98", 1},
      {"\xF0\x9F\x98x", 1},     {"\xED\xA0\x80", 3},      {"\xC0\xAF", 2},
      {"\xF4\x90\x80\x80", 4},  {"\xE0\x80\x80", 3},      {"\x80\x80", 2},
      {"\xF0\x90\x80\xE2\x82\xAC", 1}, {"\xFF\xFE", 2}, {"\xE2(\xA1", 2},
      {"ok \xE2\x82\xAC", 0},
  };
  for (const auto& [bytes, want] : cases) {
    EXPECT_EQ(replacements(bytes), want) << testing::PrintToString(bytes);
  }
}

TEST(Utf8, InvalidLengthCountsTheLeadAndTheContinuationsItAllowed) {
  EXPECT_EQ(utf8_invalid_length("\x80"), 1u);
  EXPECT_EQ(utf8_invalid_length("\xE2\x82"), 2u);          // cut short at the end
  EXPECT_EQ(utf8_invalid_length("\xE2\x82x"), 2u);         // cut short by an ASCII byte
  EXPECT_EQ(utf8_invalid_length("\xF0\x9F\x98\x41"), 3u);
  EXPECT_EQ(utf8_invalid_length("\xE0\x80\x80"), 1u);      // E0 80: an overlong form starts nothing
  EXPECT_EQ(utf8_invalid_length("\xC3"), 1u);
}

}  // namespace
}  // namespace tend
