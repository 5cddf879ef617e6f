#include "web/origin.h"

#include <gtest/gtest.h>

namespace tend::web {
namespace {

http::Request request(std::initializer_list<std::pair<std::string, std::string>> headers) {
  http::Request r;
  r.method = "GET";
  for (const auto& h : headers) {
    r.headers.push_back(h);
  }
  return r;
}

TEST(WebOrigin, Authorities) {
  EXPECT_EQ(url_authority("http://Example.COM/x"), "example.com:80");
  EXPECT_EQ(url_authority("https://example.com"), "example.com:443");
  EXPECT_EQ(url_authority("http://127.0.0.1:9001/index.html?x"), "127.0.0.1:9001");
  EXPECT_EQ(url_authority("http://user:pw@host:1/"), "host:1");
  EXPECT_EQ(url_authority("http://[::1]:9001"), "[::1]:9001");
  EXPECT_EQ(url_authority("null"), "");
  EXPECT_EQ(url_authority("file:///etc"), "");
  EXPECT_EQ(host_authority(" 127.0.0.1:9001 "), "127.0.0.1:9001");
  EXPECT_EQ(host_authority("Localhost"), "localhost:80");
  EXPECT_EQ(host_authority("[::1]"), "[::1]:80");
}

TEST(WebOrigin, ScriptsWithoutBrowserHeadersMayAct) {
  EXPECT_TRUE(same_site(request({{"host", "127.0.0.1:9001"}})));
  EXPECT_TRUE(same_site(request({})));
}

TEST(WebOrigin, SameSiteOriginMayAct) {
  EXPECT_TRUE(same_site(request({{"host", "127.0.0.1:9001"}, {"origin", "http://127.0.0.1:9001"}})));
  EXPECT_TRUE(same_site(request({{"host", "example.com"}, {"origin", "http://example.com:80"}})));
  EXPECT_TRUE(same_site(request({{"host", "example.com"}, {"origin", "https://example.com"}})));
  EXPECT_TRUE(same_site(request({{"host", "h:1"}, {"referer", "http://h:1/index.html?x=1"}})));
}

TEST(WebOrigin, OtherSitesAreRefused) {
  EXPECT_FALSE(same_site(request({{"host", "127.0.0.1:9001"}, {"origin", "http://evil.example"}})));
  EXPECT_FALSE(same_site(request({{"host", "127.0.0.1:9001"}, {"origin", "http://127.0.0.1:9002"}})));
  EXPECT_FALSE(same_site(request({{"host", "127.0.0.1:9001"}, {"origin", "null"}})));
  EXPECT_FALSE(same_site(request({{"host", "127.0.0.1:9001"}, {"referer", "http://evil.example/page"}})));
  EXPECT_FALSE(same_site(request({{"origin", "http://127.0.0.1:9001"}})));  // no Host to compare with
  // Origin decides when both are present.
  EXPECT_FALSE(same_site(
      request({{"host", "h:1"}, {"origin", "http://evil.example"}, {"referer", "http://h:1/"}})));
  // A look-alike host is another site.
  EXPECT_FALSE(same_site(request({{"host", "h:1"}, {"origin", "http://h:1.evil.example"}})));
}

TEST(WebOrigin, SecFetchSiteDecidesForBrowsers) {
  // A no-referrer link from another site: no Origin, no Referer, but the browser says where it came from.
  EXPECT_FALSE(same_site(request({{"host", "127.0.0.1:9001"}, {"sec-fetch-site", "cross-site"}})));
  // Another port of the same host is the same site but not the same origin.
  EXPECT_FALSE(same_site(request({{"host", "127.0.0.1:9001"}, {"sec-fetch-site", "same-site"}})));
  EXPECT_TRUE(same_site(request({{"host", "127.0.0.1:9001"}, {"sec-fetch-site", "same-origin"}})));
  // A bookmark or a typed URL.
  EXPECT_TRUE(same_site(request({{"host", "127.0.0.1:9001"}, {"sec-fetch-site", "None"}})));
  // same-origin does not overrule an Origin of another site.
  EXPECT_FALSE(same_site(request(
      {{"host", "127.0.0.1:9001"}, {"sec-fetch-site", "same-origin"}, {"origin", "http://evil.example"}})));
}

}  // namespace
}  // namespace tend::web
