#include "web/json.h"

#include <gtest/gtest.h>

namespace tend::web {
namespace {

TEST(WebJson, StringEscapesControlsAndMarkup) {
  EXPECT_EQ(json_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(json_string("l1\nl2\r\t"), "\"l1\\nl2\\r\\t\"");
  EXPECT_EQ(json_string(std::string("\0\x1b\x7f", 3)), "\"\\u0000\\u001b\\u007f\"");
  EXPECT_EQ(json_string("<script>&"), "\"\\u003cscript\\u003e\\u0026\"");
}

TEST(WebJson, ArbitraryBytesGiveValidOneLineJson) {
  std::string all;
  for (int i = 0; i < 256; ++i) {
    all += static_cast<char>(i);
  }
  std::string out = json_string(all);
  EXPECT_EQ(out.find('\n'), std::string::npos);
  EXPECT_EQ(out.find('\r'), std::string::npos);
  // Each byte 0x80..0xFF alone is invalid UTF-8: 128 replacement characters, none dropped.
  size_t replacements = 0;
  for (size_t p = out.find("\xEF\xBF\xBD"); p != std::string::npos; p = out.find("\xEF\xBF\xBD", p + 3)) {
    ++replacements;
  }
  EXPECT_EQ(replacements, 128u);
  // What comes back through the parser is the repaired text.
  Result<FlatObject> back = parse_flat_object("{\"s\":" + out + "}");
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ((*back)["s"].size(), 128u + 128u * 3u);
}

TEST(WebJson, ObjectBuilder) {
  std::string s = JsonObject()
                      .str("a", "x")
                      .num("n", -3)
                      .boolean("t", true)
                      .tristate("u", std::nullopt)
                      .tristate("f", false)
                      .raw("l", "[1]")
                      .take();
  EXPECT_EQ(s, "{\"a\":\"x\",\"n\":-3,\"t\":true,\"u\":null,\"f\":false,\"l\":[1]}");
  EXPECT_EQ(JsonObject().take(), "{}");
}

TEST(WebJson, ParseFlatObject) {
  Result<FlatObject> r = parse_flat_object(
      " {\"action\": \"signal\", \"namespec\":\"g:p\", \"signal\":\"HUP\", \"n\": 12, \"b\": true, \"z\": null,"
      " \"u\":\"\\u00e9\\ud83d\\ude00\\n\"} ");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ((*r)["action"], "signal");
  EXPECT_EQ((*r)["namespec"], "g:p");
  EXPECT_EQ((*r)["n"], "12");
  EXPECT_EQ((*r)["b"], "true");
  EXPECT_EQ((*r)["z"], "null");
  EXPECT_EQ((*r)["u"], "\xC3\xA9\xF0\x9F\x98\x80\n");
  EXPECT_TRUE(parse_flat_object("{}"));
}

TEST(WebJson, ParseFlatObjectRejects) {
  for (const char* bad : {"", "[]", "{", "{\"a\"}", "{\"a\":}", "{\"a\":{}}", "{\"a\":[1]}", "{\"a\":1,}",
                          "{\"a\":1} x", "{\"a\":1,\"a\":2}", "{\"a\":\"\\q\"}", "{\"a\":\"x\n\"}",
                          "{a:1}"}) {
    Result<FlatObject> r = parse_flat_object(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error().rfind("unable to parse JSON: ", 0), 0u) << r.error();
    }
  }
}

}  // namespace
}  // namespace tend::web
