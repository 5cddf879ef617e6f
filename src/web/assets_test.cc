#include "web/assets.h"

#include <gtest/gtest.h>

#include "web/gunzip.h"

namespace tend::web {
namespace {

TEST(WebAssets, EveryFileIsEmbeddedCompressedWithAnEtag) {
  ASSERT_FALSE(embedded_assets().empty());
  for (const Asset& a : embedded_assets()) {
    EXPECT_EQ(a.etag.size(), 22u) << a.name;
    EXPECT_EQ(a.etag.front(), '"');
    Result<std::string> plain = gunzip(a.gzip);
    EXPECT_TRUE(plain) << a.name << ": " << (plain ? "" : plain.error());
    EXPECT_EQ(find_asset(a.name), &a);
  }
  EXPECT_NE(find_asset("console.js"), nullptr);
  EXPECT_NE(find_asset("console.css"), nullptr);
  EXPECT_EQ(find_asset("../CMakeLists.txt"), nullptr);
  EXPECT_EQ(find_asset(""), nullptr);
  EXPECT_EQ(find_asset("console.js")->content_type, "text/javascript; charset=utf-8");
}

TEST(WebAssets, AcceptEncoding) {
  auto accepts = [](const char* v) {
    std::string s = v;
    return accepts_gzip(&s);
  };
  EXPECT_FALSE(accepts_gzip(nullptr));
  EXPECT_TRUE(accepts("gzip"));
  EXPECT_TRUE(accepts("gzip, deflate, br"));
  EXPECT_TRUE(accepts("br;q=1.0, GZIP;q=0.5"));
  EXPECT_TRUE(accepts("*"));
  EXPECT_FALSE(accepts("gzip;q=0"));
  EXPECT_FALSE(accepts("gzip;q=0.000"));
  EXPECT_FALSE(accepts("identity"));
  EXPECT_FALSE(accepts("deflate, br"));
  EXPECT_FALSE(accepts(""));
}

TEST(WebAssets, IfNoneMatch) {
  auto matches = [](const char* v, std::string_view tag) {
    std::string s = v;
    return etag_matches(&s, tag);
  };
  EXPECT_FALSE(etag_matches(nullptr, "\"a\""));
  EXPECT_TRUE(matches("\"a\"", "\"a\""));
  EXPECT_TRUE(matches("\"x\", W/\"a\"", "\"a\""));
  EXPECT_TRUE(matches("*", "\"a\""));
  EXPECT_FALSE(matches("\"b\"", "\"a\""));
  EXPECT_FALSE(matches("a", "\"a\""));
}

}  // namespace
}  // namespace tend::web
