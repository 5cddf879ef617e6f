#include "config/ini_parser.h"

#include <gtest/gtest.h>

#include <random>

#include "config/unicode.h"

namespace tend {
namespace {

struct ValueCase {
  const char* name;
  const char* text;
  const char* section;
  const char* key;
  const char* expected;  // nullptr: key absent
};

const ValueCase k_value_cases[] = {
    {"plain", "[s]\nk=v\n", "s", "k", "v"},
    {"colon_delimiter", "[s]\nk: v\n", "s", "k", "v"},
    {"first_delimiter_wins_equals", "[s]\nk=a:b\n", "s", "k", "a:b"},
    {"first_delimiter_wins_colon", "[s]\nk:a=b\n", "s", "k", "a=b"},
    {"key_lowercased", "[s]\nLogFile_MaxBytes = 5\n", "s", "logfile_maxbytes", "5"},
    {"unicode_key_lowercased", "[s]\n\xc3\x84X=1\n", "s", "\xc3\xa4x", "1"},
    {"final_sigma", "[s]\n\xce\xa3\xce\xa3=1\n", "s", "\xcf\x83\xcf\x82", "1"},
    {"inline_semicolon_after_space", "[s]\nk=a ;c\n", "s", "k", "a"},
    {"inline_hash_after_space", "[s]\nk=a #c\n", "s", "k", "a"},
    {"inline_after_tab", "[s]\nk=a\t;c\n", "s", "k", "a"},
    {"no_comment_without_space", "[s]\nk=a;b#c\n", "s", "k", "a;b#c"},
    {"comment_cuts_quotes", "[s]\nk=sh -c \"x ; y\"\n", "s", "k", "sh -c \"x"},
    {"comment_rounds_quirk", "[s]\nk=a#b #c ;d\n", "s", "k", "a#b #c"},
    {"comment_after_nbsp", "[s]\nk=a\xc2\xa0;c\n", "s", "k", "a"},
    {"nbsp_stripped", "[s]\nk=\xc2\xa0v\xc2\xa0\n", "s", "k", "v"},
    {"ideographic_space_stripped", "[s]\n\xe3\x80\x80k\xe3\x80\x80=\xe3\x80\x80v\xe3\x80\x80\n", "s", "k", "v"},
    {"empty_value", "[s]\nk=\n", "s", "k", ""},
    {"empty_value_with_comment", "[s]\nk= ;c\n", "s", "k", ""},
    {"equals_in_value", "[s]\nk=a=b=c\n", "s", "k", "a=b=c"},
    {"continuation", "[s]\nk=a\n  b\n\tc\n", "s", "k", "a\nb\nc"},
    {"continuation_keeps_inner_blank", "[s]\nk=a\n\n  b\n", "s", "k", "a\n\nb"},
    {"continuation_drops_trailing_blanks", "[s]\nk=a\n  b\n\n\n", "s", "k", "a\nb"},
    {"comment_line_in_continuation_skipped", "[s]\nk=a\n  # x\n  b\n", "s", "k", "a\nb"},
    {"comment_line_adds_no_blank", "[s]\nk=a\n;x\n  b\n", "s", "k", "a\nb"},
    {"indented_key_then_continuation", "[s]\n  k=a\n    b\n  j=c\n", "s", "k", "a\nb"},
    {"same_indent_is_new_key", "[s]\n  k=a\n  j=c\n", "s", "j", "c"},
    {"indented_header_is_continuation", "[s]\nk=a\n  [t]\n", "s", "k", "a\n[t]"},
    {"default_inherited", "[DEFAULT]\nd=1\n[s]\nk=v\n", "s", "d", "1"},
    {"default_overridden", "[DEFAULT]\nd=1\n[s]\nd=2\n", "s", "d", "2"},
    {"default_after_section", "[s]\nk=v\n[DEFAULT]\nd=3\n", "s", "d", "3"},
    {"duplicate_key_last_wins", "[s]\nk=1\nk=2\n", "s", "k", "2"},
    {"duplicate_section_merges", "[s]\nk=1\n[t]\n[s]\nj=2\n", "s", "k", "1"},
    {"section_case_sensitive", "[S]\nk=1\n", "s", "k", nullptr},
    {"header_to_last_bracket", "[a]b]\nk=1\n", "a]b", "k", "1"},
    {"header_text_after_bracket", "[a] tail\nk=1\n", "a", "k", "1"},
    {"header_spaces_kept", "[ a ]\nk=1\n", " a ", "k", "1"},
    {"crlf", "[s]\r\nk=v\r\n", "s", "k", "v"},
    {"lone_cr_ends_line", "[s]\rk=v\rj=w", "s", "j", "w"},
};

class IniValueTest : public testing::TestWithParam<ValueCase> {};

TEST_P(IniValueTest, ReadsLikePython) {
  const ValueCase& c = GetParam();
  IniDocument doc;
  Status s = doc.read_string(c.text, "t.conf");
  ASSERT_TRUE(s.ok()) << s.error();
  const IniValue* v = doc.get(c.section, c.key);
  if (c.expected == nullptr) {
    EXPECT_EQ(v, nullptr);
  } else {
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->value, c.expected);
  }
}

INSTANTIATE_TEST_SUITE_P(Rules, IniValueTest, testing::ValuesIn(k_value_cases),
                         [](const testing::TestParamInfo<ValueCase>& i) { return std::string(i.param.name); });

struct ErrorCase {
  const char* name;
  const char* text;
  const char* expected_prefix;
};

const ErrorCase k_error_cases[] = {
    {"no_delimiter", "[s]\nk=1\nbogus\n", "t.conf:3: cannot parse line"},
    {"empty_key", "[s]\n=v\n", "t.conf:2: cannot parse line"},
    {"no_section", "\n; c\nk=v\n", "t.conf:3: key outside of any section"},
    {"empty_header", "[]\n", "t.conf:1: key outside of any section"},
    {"invalid_utf8", "[s]\nk=\xff\n", "t.conf:2: not valid UTF-8"},
    {"first_of_several", "[s]\nx\ny\n", "t.conf:2: "},
    {"bom_is_not_space", "\xef\xbb\xbf[s]\n", "t.conf:1: key outside of any section"},
};

class IniErrorTest : public testing::TestWithParam<ErrorCase> {};

TEST_P(IniErrorTest, ReportsFileAndLine) {
  const ErrorCase& c = GetParam();
  IniDocument doc;
  Status s = doc.read_string(c.text, "t.conf");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().rfind(c.expected_prefix, 0), 0u) << s.error();
}

INSTANTIATE_TEST_SUITE_P(Errors, IniErrorTest, testing::ValuesIn(k_error_cases),
                         [](const testing::TestParamInfo<ErrorCase>& i) { return std::string(i.param.name); });

TEST(IniDocument, RemembersPositionOfEachValue) {
  IniDocument doc;
  ASSERT_TRUE(doc.read_string("[s]\n\nk=1\n  more\nj=2\n", "a.conf").ok());
  ASSERT_TRUE(doc.read_string("[s]\nj=3\n", "b.conf").ok());
  EXPECT_EQ(doc.get("s", "k")->pos, (SourcePos{"a.conf", 3}));
  EXPECT_EQ(doc.get("s", "j")->pos, (SourcePos{"b.conf", 2}));
  EXPECT_EQ(doc.get("s", "j")->value, "3");
  EXPECT_EQ(doc.section("s")->pos, (SourcePos{"a.conf", 1}));
}

TEST(IniDocument, LongValuesAreKeptWhole) {
  std::string value(300, 'x');
  IniDocument doc;
  ASSERT_TRUE(doc.read_string("[s]\nk=" + value + "\n", "t").ok());
  EXPECT_EQ(doc.get("s", "k")->value, value);
}

TEST(IniDocument, KeepsSectionAndKeyOrder) {
  IniDocument doc;
  ASSERT_TRUE(doc.read_string("[b]\nz=1\na=2\n[a]\n[b]\nz=3\nm=4\n", "t").ok());
  ASSERT_EQ(doc.sections().size(), 2u);
  EXPECT_EQ(doc.sections()[0].name, "b");
  const auto& e = doc.sections()[0].entries;
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].first, "z");
  EXPECT_EQ(e[0].second.value, "3");
  EXPECT_EQ(e[2].first, "m");
}

TEST(IniDocument, OptionsListOwnKeysThenDefaults) {
  IniDocument doc;
  ASSERT_TRUE(doc.read_string("[DEFAULT]\na=1\nb=2\n[s]\nb=3\nc=4\n", "t").ok());
  EXPECT_EQ(doc.options("s"), (std::vector<std::string>{"b", "c", "a"}));
  EXPECT_FALSE(doc.has_section("DEFAULT"));
}

TEST(IniDocument, ExpandHereReplacesLiteralMarkerOnly) {
  IniDocument doc;
  ASSERT_TRUE(doc.read_string("[DEFAULT]\nd=%(here)s/d\n[s]\nk=%(here)s/x %(here)s\nj=%(here)5s\n", "t").ok());
  doc.expand_here("/etc");
  EXPECT_EQ(doc.get("s", "k")->value, "/etc/x /etc");
  EXPECT_EQ(doc.get("s", "j")->value, "%(here)5s");
  EXPECT_EQ(doc.section("s")->find("d")->value, "/etc/d");  // materialised in the section
  EXPECT_EQ(doc.defaults().find("d")->value, "%(here)s/d");
}

TEST(IniDocument, SurvivesRandomBytes) {
  std::mt19937 rng(42);
  const char alphabet[] = "[]=:;# \t\n\r\xc2\xa0\xce\xa3\xffxyDEFAULT%()";
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    int len = static_cast<int>(rng() % 120);
    for (int i = 0; i < len; ++i) {
      text += (rng() % 8 == 0) ? static_cast<char>(rng() % 256) : alphabet[rng() % (sizeof(alphabet) - 1)];
    }
    IniDocument doc;
    Status s = doc.read_string(text, "fuzz");
    if (!s.ok()) {
      EXPECT_EQ(s.error().rfind("fuzz:", 0), 0u);
    }
    doc.expand_here("/x");
  }
}

TEST(Unicode, StripLowerRepr) {
  EXPECT_EQ(unicode::strip("\xc2\xa0 a b\t\xe2\x80\x83"), "a b");
  EXPECT_EQ(unicode::strip("\xff a"), "\xff a");
  EXPECT_EQ(unicode::lower("ABC\xc3\x84\xc4\xb0"), "abc\xc3\xa4i\xcc\x87");
  EXPECT_EQ(unicode::lower("\xce\xa3"), "\xcf\x83");                  // lone sigma is not final
  EXPECT_EQ(unicode::lower("A\xce\xa3."), "a\xcf\x82.");              // word-final sigma
  EXPECT_EQ(unicode::repr("it's"), "\"it's\"");
  EXPECT_EQ(unicode::repr("a\nb\\"), "'a\\nb\\\\'");
  EXPECT_EQ(unicode::repr("caf\xc3\xa9\xc2\xa0"), "'caf\xc3\xa9\\xa0'");
  EXPECT_EQ(unicode::ascii("caf\xc3\xa9"), "'caf\\xe9'");
  EXPECT_EQ(unicode::length("a\xc3\xa9\xe2\x9c\x93"), 3u);
}

}  // namespace
}  // namespace tend
