#include "config/env_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fakes/temp_dir_test.h"

namespace tend {
namespace {

EnvList parse(std::string_view text) {
  Result<EnvList> r = parse_dotenv(text, "a.env");
  EXPECT_TRUE(r.ok()) << r.error();
  return r.ok() ? *r : EnvList{};
}

std::string parse_error(std::string_view text) {
  Result<EnvList> r = parse_dotenv(text, "a.env");
  EXPECT_FALSE(r.ok()) << "parsed: " << text;
  return r.ok() ? "" : r.error();
}

using KV = EnvList::value_type;

// --- rule 1: statements, blank lines, comment lines ----------------------------------------

TEST(Dotenv, KeyValueLinesInOrder) {
  EXPECT_EQ(parse("A=1\nB=two\n"), (EnvList{{"A", "1"}, {"B", "two"}}));
  EXPECT_EQ(parse("A=1"), (EnvList{{"A", "1"}}));  // no final newline
  EXPECT_EQ(parse(""), EnvList{});
}

TEST(Dotenv, BlankAndCommentLinesAreSkipped) {
  EXPECT_EQ(parse("\n  \n\t\n# A=1\n   # B=2\nC=3\n#\n"), (EnvList{{"C", "3"}}));
}

// --- rule 2: export, blanks around key and '=' ---------------------------------------------

TEST(Dotenv, ExportPrefix) {
  EXPECT_EQ(parse("export A=1\nexport\tB=2\n  export   C = 3\n"), (EnvList{{"A", "1"}, {"B", "2"}, {"C", "3"}}));
  // "export" alone is a key like any other.
  EXPECT_EQ(parse("export=1\nexported=2\n"), (EnvList{{"export", "1"}, {"exported", "2"}}));
}

TEST(Dotenv, BlanksAroundKeyAndEqualsAreIgnored) {
  EXPECT_EQ(parse("  A = 1\nB\t=\t2\n"), (EnvList{{"A", "1"}, {"B", "2"}}));
}

// --- rule 3: keys --------------------------------------------------------------------------

TEST(Dotenv, KeyCharacters) {
  EXPECT_EQ(parse("_a.b-c9=1\n"), (EnvList{{"_a.b-c9", "1"}}));
  EXPECT_EQ(parse_error("9A=1\n"),
            "a.env:1: '9A' is not a valid variable name (a letter or '_', then letters, "
            "digits, '_', '.' or '-')");
  EXPECT_NE(parse_error("A$=1\n").find("'A$' is not a valid variable name"), std::string::npos);
  EXPECT_EQ(parse_error("=1\n"), "a.env:1: a variable name is missing before '='");
  EXPECT_EQ(parse_error("export =1\n"), "a.env:1: a variable name is missing before '='");
}

TEST(Dotenv, ALineWithoutEqualsIsAnError) {
  EXPECT_EQ(parse_error("A=1\nJUSTAKEY\n"), "a.env:2: expected KEY=VALUE, found no '=' after 'JUSTAKEY'");
  EXPECT_EQ(parse_error("MY VAR=1\n"), "a.env:1: expected KEY=VALUE, found no '=' after 'MY'");
  EXPECT_EQ(parse_error("export A\n"), "a.env:1: expected KEY=VALUE, found no '=' after 'A'");
}

// --- rule 4: unquoted values ---------------------------------------------------------------

TEST(Dotenv, UnquotedValue) {
  EXPECT_EQ(parse("A=hello world  \t\n"), (EnvList{{"A", "hello world"}}));
  EXPECT_EQ(parse("A=\nB=   \n"), (EnvList{{"A", ""}, {"B", ""}}));
  EXPECT_EQ(parse("A=x=y\n"), (EnvList{{"A", "x=y"}}));
  EXPECT_EQ(parse("A=it's \"so\"\n"), (EnvList{{"A", "it's \"so\""}}));
  EXPECT_EQ(parse("A=back\\nslash\n"), (EnvList{{"A", "back\\nslash"}}));
  EXPECT_EQ(parse("A=%(x)s $HOME ${B}\n"), (EnvList{{"A", "%(x)s $HOME ${B}"}}));  // nothing expands
}

TEST(Dotenv, HashStartsACommentOnlyAfterABlank) {
  EXPECT_EQ(parse("A=a#b\nB=a #b\nC=a\t#b\nD=#x\nE= # only a comment\n"),
            (EnvList{{"A", "a#b"}, {"B", "a"}, {"C", "a"}, {"D", "#x"}, {"E", ""}}));
}

// --- rule 5: single quotes -----------------------------------------------------------------

TEST(Dotenv, SingleQuotesAreLiteral) {
  EXPECT_EQ(parse("A='a \\n \"b\" # c $D'\n"), (EnvList{{"A", "a \\n \"b\" # c $D"}}));
  EXPECT_EQ(parse("A=''\n"), (EnvList{{"A", ""}}));
  EXPECT_EQ(parse("A='  padded  '\n"), (EnvList{{"A", "  padded  "}}));
  EXPECT_EQ(parse("A='x\\'\n"), (EnvList{{"A", "x\\"}}));  // no escape: the backslash stays, the quote closes
}

TEST(Dotenv, SingleQuotesSpanLines) {
  EXPECT_EQ(parse("A='one\ntwo'\nB=3\n"), (EnvList{{"A", "one\ntwo"}, {"B", "3"}}));
  // Lines are still counted inside the value.
  EXPECT_EQ(parse_error("A='one\ntwo'\nB\n"), "a.env:3: expected KEY=VALUE, found no '=' after 'B'");
}

// --- rule 6: double quotes -----------------------------------------------------------------

TEST(Dotenv, DoubleQuoteEscapes) {
  EXPECT_EQ(parse(R"(A="a\nb")"), (EnvList{{"A", "a\nb"}}));
  EXPECT_EQ(parse(R"(A="say \"hi\"")"), (EnvList{{"A", "say \"hi\""}}));
  EXPECT_EQ(parse(R"(A="back\\slash")"), (EnvList{{"A", "back\\slash"}}));
  EXPECT_EQ(parse(R"(A="ends with \\")"), (EnvList{{"A", "ends with \\"}}));
  EXPECT_EQ(parse(R"(A="\\n")"), (EnvList{{"A", "\\n"}}));
  // Other backslashes are kept as written.
  EXPECT_EQ(parse(R"(A="\t\x41\'")"), (EnvList{{"A", R"(\t\x41\')"}}));
  EXPECT_EQ(parse("A=\"a # b 'c'\"\n"), (EnvList{{"A", "a # b 'c'"}}));
}

TEST(Dotenv, DoubleQuotesSpanLines) {
  EXPECT_EQ(parse("A=\"one\ntwo\"\nB=3\n"), (EnvList{{"A", "one\ntwo"}, {"B", "3"}}));
  EXPECT_EQ(parse_error("A=\"one\ntwo\"\nB\n"), "a.env:3: expected KEY=VALUE, found no '=' after 'B'");
}

TEST(Dotenv, UnterminatedQuotesNameTheLineTheValueStarts) {
  EXPECT_EQ(parse_error("A=1\nB='open\nC=2\n"), "a.env:2: unterminated single-quoted value");
  EXPECT_EQ(parse_error("A=1\n\nB=\"open \\\"\nC=2\n"), "a.env:3: unterminated double-quoted value");
}

// --- rule 7: after the closing quote -------------------------------------------------------

TEST(Dotenv, OnlyACommentMayFollowAClosingQuote) {
  EXPECT_EQ(parse("A='x'  # c\nB=\"y\"\t#c\nC='z'#c\nD=\"w\"   \n"),
            (EnvList{{"A", "x"}, {"B", "y"}, {"C", "z"}, {"D", "w"}}));
  EXPECT_EQ(parse_error("A=1\nB='x' y\n"), "a.env:2: unexpected text after the closing quote of 'B'");
  EXPECT_EQ(parse_error("B=\"x\"\"y\"\n"), "a.env:1: unexpected text after the closing quote of 'B'");
}

// --- rule 8: CRLF and NUL ------------------------------------------------------------------

TEST(Dotenv, CrlfReadsLikeLf) {
  EXPECT_EQ(parse("A=1\r\nB='x'\r\nC=\"two\r\nlines\"\r\n# c\r\nD=last\r"),
            (EnvList{{"A", "1"}, {"B", "x"}, {"C", "two\nlines"}, {"D", "last"}}));
  EXPECT_EQ(parse_error("A=1\r\nB\r\n"), "a.env:2: expected KEY=VALUE, found no '=' after 'B'");
  // A CR that ends no line is data.
  EXPECT_EQ(parse("A=x\ry\n"), (EnvList{{"A", "x\ry"}}));
}

TEST(Dotenv, NulIsAnError) {
  EXPECT_EQ(parse_error(std::string_view("A=1\nB=x\0y\n", 10)),
            "a.env:2: a NUL byte, which no environment variable can hold");
}

// --- rule 9: a key given twice -------------------------------------------------------------

TEST(Dotenv, LaterValueWinsAtTheFirstPlace) { EXPECT_EQ(parse("A=1\nB=2\nA=3\n"), (EnvList{{"A", "3"}, {"B", "2"}})); }

TEST(Dotenv, ErrorsNameTheSource) {
  Result<EnvList> r = parse_dotenv("x\n", "/etc/app.env");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().rfind("/etc/app.env:1: ", 0), 0u) << r.error();
}

// --- read_env_files ------------------------------------------------------------------------

using EnvFiles = test_support::TempDirTest;

TEST_F(EnvFiles, LaterFileWinsAndPathsAreRelativeToTheBase) {
  write("a.env", "A=a\nB=a\n");
  write("sub/b.env", "B=b\nC=b\n");
  Result<EnvList> r = read_env_files(" a.env , " + m_dir + "/sub/b.env,", m_dir, "/nohome");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(*r, (EnvList{{"A", "a"}, {"B", "b"}, {"C", "b"}}));
  r = read_env_files("sub/b.env", m_dir, "/nohome");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(*r, (EnvList{{"B", "b"}, {"C", "b"}}));
}

TEST_F(EnvFiles, TildeIsTheHomeDirectory) {
  write("home/h.env", "H=1\n");
  Result<EnvList> r = read_env_files("~/h.env", "/", m_dir + "/home");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(*r, (EnvList{{"H", "1"}}));
}

TEST_F(EnvFiles, AMissingFileIsAnErrorUnlessOptional) {
  write("a.env", "A=1\n");
  Result<EnvList> r = read_env_files("a.env, missing.env", m_dir, "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "unable to read " + m_dir + "/missing.env: No such file or directory");
  r = read_env_files("a.env, -missing.env, - nodir/missing.env", m_dir, "");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(*r, (EnvList{{"A", "1"}}));
  // '-' only excuses a missing file: one that exists is read (and must parse).
  write("bad.env", "A=1\nnot a statement\n");
  r = read_env_files("-bad.env", m_dir, "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), m_dir + "/bad.env:2: expected KEY=VALUE, found no '=' after 'not'");
  r = read_env_files("-", m_dir, "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "'-' without a path");
}

TEST_F(EnvFiles, AnUnreadableFileIsAnErrorEvenWhenOptional) {
  std::filesystem::create_directories(m_dir + "/adir");
  Result<EnvList> r = read_env_files("-adir", m_dir, "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "unable to read " + m_dir + "/adir: Is a directory");
  if (::geteuid() != 0) {  // root reads any file
    std::string p = write("secret.env", "A=1\n");
    ::chmod(p.c_str(), 0);
    r = read_env_files("-secret.env", m_dir, "");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), "unable to read " + p + ": Permission denied");
  }
}

TEST_F(EnvFiles, EmptyListReadsNothing) {
  Result<EnvList> r = read_env_files("", m_dir, "");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_TRUE(r->empty());
}

}  // namespace
}  // namespace tend
