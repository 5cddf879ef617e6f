#include "util/shlex.h"

#include <gtest/gtest.h>

namespace tend {
namespace {

using V = std::vector<std::string>;

TEST(Shlex, SplitsLikePythonPosixMode) {
  struct Case {
    const char* in;
    V out;
  } cases[] = {
      {"/bin/echo a b", {"/bin/echo", "a", "b"}},
      {"  lead   trail  ", {"lead", "trail"}},
      {"sh -c \"echo a;b\"", {"sh", "-c", "echo a;b"}},
      {"'single quoted' x", {"single quoted", "x"}},
      {"a\\ b", {"a b"}},
      {"\"x\\\"y\"", {"x\"y"}},
      {"\"keep\\n\"", {"keep\\n"}},
      {"ab'cd'\"ef\"", {"abcdef"}},
      {"''", {""}},
      {"cmd\ncontinued", {"cmd", "continued"}},
      {"#notacomment", {"#notacomment"}},
      {"", {}},
  };
  for (const Case& c : cases) {
    auto r = shlex_split(c.in);
    ASSERT_TRUE(r.ok()) << c.in << ": " << r.error();
    EXPECT_EQ(*r, c.out) << c.in;
  }
}

TEST(Shlex, ReportsUnbalancedQuotesAndTrailingEscape) {
  EXPECT_EQ(shlex_split("echo \"open").error(), "No closing quotation");
  EXPECT_EQ(shlex_split("echo 'open").error(), "No closing quotation");
  EXPECT_EQ(shlex_split("echo \\").error(), "No escaped character");
}

}  // namespace
}  // namespace tend
