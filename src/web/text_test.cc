#include "web/text.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "fakes/scoped_tz.h"

namespace tend::web {
namespace {

TEST(WebText, HtmlEscapeNeutralisesMarkup) {
  EXPECT_EQ(html_escape("<img src=x onerror=alert(1)>"), "&lt;img src=x onerror=alert(1)&gt;");
  EXPECT_EQ(html_escape("a&b \"q\" 'r'"), "a&amp;b &quot;q&quot; &#39;r&#39;");
  EXPECT_EQ(html_escape("plain"), "plain");
}

TEST(WebText, HtmlEscapeRepairsInvalidUtf8) {
  EXPECT_EQ(html_escape(std::string("a\xff<b", 4)), "a\xEF\xBF\xBD&lt;b");
  EXPECT_EQ(html_escape("\xC3\xA9t\xC3\xA9"), "\xC3\xA9t\xC3\xA9");
}

TEST(WebText, RepairUtf8ReplacesEachBadByteAndKeepsGoodOnes) {
  EXPECT_EQ(repair_utf8("ok \xE2\x82\xAC"), "ok \xE2\x82\xAC");                  // euro sign
  EXPECT_EQ(repair_utf8("\x80"), "\xEF\xBF\xBD");                                 // stray continuation
  EXPECT_EQ(repair_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                 // overlong '/'
  EXPECT_EQ(repair_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(repair_utf8("\xF4\x90\x80\x80").size(), 12u);                        // above U+10FFFF
  EXPECT_EQ(repair_utf8("x\xE2\x82"), "x\xEF\xBF\xBD");  // cut short: one U+FFFD, as Python and browsers
  EXPECT_EQ(repair_utf8(std::string("\0a", 2)), std::string("\0a", 2));          // NUL is valid UTF-8
}

TEST(WebText, IncompleteTailFindsSplitCharacters) {
  EXPECT_EQ(incomplete_utf8_tail("abc"), 0u);
  EXPECT_EQ(incomplete_utf8_tail("ab\xE2"), 1u);
  EXPECT_EQ(incomplete_utf8_tail("ab\xE2\x82"), 2u);
  EXPECT_EQ(incomplete_utf8_tail("ab\xE2\x82\xAC"), 0u);
  EXPECT_EQ(incomplete_utf8_tail("\xF0\x9F\x98"), 3u);
  EXPECT_EQ(incomplete_utf8_tail("a\xFF"), 0u);      // never valid: not held back
  EXPECT_EQ(incomplete_utf8_tail("a\xE0\x80"), 0u);  // overlong prefix: not held back
  EXPECT_EQ(incomplete_utf8_tail(""), 0u);
}

TEST(WebText, UrlQuoteIsPythonQuote) {
  EXPECT_EQ(url_quote("Process grp:b started"), "Process%20grp%3Ab%20started");
  EXPECT_EQ(url_quote("a/b_c.d-e~f"), "a/b_c.d-e~f");
  EXPECT_EQ(url_quote("grp:*"), "grp%3A%2A");
  EXPECT_EQ(url_quote("[70] x&y=z"), "%5B70%5D%20x%26y%3Dz");
  EXPECT_EQ(url_quote("\xC3\xA9"), "%C3%A9");
}

TEST(WebText, FormDecode) {
  EXPECT_EQ(form_decode("a+b%3Ac"), "a b:c");
  EXPECT_EQ(form_decode("100%"), "100%");
  EXPECT_EQ(form_decode("%zz%4"), "%zz%4");
}

TEST(WebText, ParseFormKeepsFirstValueAndDropsBlanks) {
  Form f = parse_form("processname=sleeper&action=stop&action=start&empty=&novalue&x=1%202");
  EXPECT_EQ(f["processname"], "sleeper");
  EXPECT_EQ(f["action"], "stop");
  EXPECT_EQ(f.count("empty"), 0u);
  EXPECT_EQ(f.count("novalue"), 0u);
  EXPECT_EQ(f["x"], "1 2");
  EXPECT_TRUE(parse_form("").empty());
  EXPECT_EQ(parse_form("a=1;b=2")["a"], "1;b=2");  // ';' is not a separator
  EXPECT_EQ(parse_form("n=%FF")["n"], "\xEF\xBF\xBD");
}

TEST(WebText, CtimeHasPythonLayout) {
  ScopedTz utc("UTC");
  EXPECT_EQ(ctime_text(1796399491), "Fri Dec  4 15:51:31 2026");
  EXPECT_EQ(ctime_text(0), "Thu Jan  1 00:00:00 1970");
}

}  // namespace
}  // namespace tend::web
