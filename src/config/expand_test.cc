#include "config/expand.h"

#include <gtest/gtest.h>

namespace tend {
namespace {

const Expansions k_names = {
    {"here", std::string("/etc")}, {"n", int64_t{7}}, {"neg", int64_t{-3}},
    {"s", std::string("hi")},      {"c", std::string("x")}, {"u", std::string("caf\xc3\xa9")},
};

struct Case {
  const char* format;
  const char* expected;  // nullptr: error
  const char* error_part;
};

const Case k_cases[] = {
    {"plain", "plain", nullptr},
    {"%(here)s/x", "/etc/x", nullptr},
    {"%%", "%", nullptr},
    {"100%%", "100%", nullptr},
    {"%(n)s", "7", nullptr},
    {"%(n)d", "7", nullptr},
    {"%(n)02d", "07", nullptr},
    {"%(n)05d", "00007", nullptr},
    {"%(neg)05d", "-0003", nullptr},
    {"%(n)+d", "+7", nullptr},
    {"%(n) d", " 7", nullptr},
    {"%(n).3d", "007", nullptr},
    {"%(n)-5d|", "7    |", nullptr},
    {"%(n)#x %(n)#o %(n)X", "0x7 0o7 7", nullptr},
    {"%(neg)#x", "-0x3", nullptr},
    {"%(n)ld %(n)hd", "7 7", nullptr},
    {"%(n)f", "7.000000", nullptr},
    {"%(n)5.2f", " 7.00", nullptr},
    {"%(n)e", "7.000000e+00", nullptr},
    {"%(n)g", "7", nullptr},
    {"%(n)i%(n)u", "77", nullptr},
    {"%(s)5s|", "   hi|", nullptr},
    {"%(s)-5s|", "hi   |", nullptr},
    {"%(s)05s", "   hi", nullptr},
    {"%(s).1s", "h", nullptr},
    {"%(u)5s", " caf\xc3\xa9", nullptr},
    {"%(s)r", "'hi'", nullptr},
    {"%(s)5r", " 'hi'", nullptr},
    {"%(u)a", "'caf\\xe9'", nullptr},
    {"%(n)r", "7", nullptr},
    {"%(c)c", "x", nullptr},
    {"%(n)c", "\x07", nullptr},
    {"100%", nullptr, "is badly formatted: incomplete format"},
    {"%(n)", nullptr, "incomplete format"},
    {"%(n", nullptr, "incomplete format key"},
    {"%(nope)s", nullptr, "contains names ('nope') which cannot be expanded. Available names: c, here, n, neg, s, u"},
    {"%(a(b))s", nullptr, "contains names ('a(b)')"},
    {"%(n)q", nullptr, "unsupported format character 'q' (0x71) at index 4"},
    {"%(n)%", nullptr, "unsupported format character '%'"},
    {"%(s)d", nullptr, "%d format: a real number is required, not str"},
    {"%(s)x", nullptr, "%x format: an integer is required, not str"},
    {"%(s)c", nullptr, "%c requires int or char"},
    {"%(n)*d", nullptr, "badly formatted"},
    {"50% off", nullptr, "without a (name)"},
    {"%s", nullptr, "without a (name)"},
    {"%(n)999999999d", nullptr, "width too big"},
};

TEST(Expand, TableOfCases) {
  for (const Case& c : k_cases) {
    Result<std::string> r = expand(c.format, k_names, "program:x.command");
    if (c.expected != nullptr) {
      ASSERT_TRUE(r.ok()) << c.format << ": " << r.error();
      EXPECT_EQ(*r, c.expected) << c.format;
    } else {
      ASSERT_FALSE(r.ok()) << c.format << " gave " << *r;
      EXPECT_NE(r.error().find(c.error_part), std::string::npos) << c.format << ": " << r.error();
      EXPECT_NE(r.error().find("'program:x.command'"), std::string::npos) << r.error();
    }
  }
}

TEST(Expand, ErrorQuotesTheFormatString) {
  Result<std::string> r = expand("echo %(x)s", {}, "program:a.command");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(),
            "Format string 'echo %(x)s' for 'program:a.command' contains names ('x') which cannot be expanded. "
            "Available names: ");
}

}  // namespace
}  // namespace tend
