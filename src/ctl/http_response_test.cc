#include "ctl/http_response.h"

#include <gtest/gtest.h>

namespace tend::ctl {
namespace {

struct Collected {
  std::string body;
  HttpResponseParser parser{[this](std::string_view d) { body.append(d); }};
};

TEST(CtlHttpResponse, ContentLength) {
  Collected c;
  ASSERT_TRUE(c.parser.feed("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: x\r\n\r\nhelloEXTRA"));
  EXPECT_TRUE(c.parser.complete());
  EXPECT_EQ(c.parser.status(), 200);
  EXPECT_EQ(c.parser.reason(), "OK");
  EXPECT_EQ(c.body, "hello");
  EXPECT_FALSE(c.parser.close_after());
}

TEST(CtlHttpResponse, ByteByByte) {
  Collected c;
  std::string msg = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
  for (char ch : msg) {
    ASSERT_TRUE(c.parser.feed(std::string_view(&ch, 1)));
  }
  EXPECT_TRUE(c.parser.complete());
  EXPECT_EQ(c.body, "abcde");
}

TEST(CtlHttpResponse, ChunkedStreamDeliversAsItArrives) {
  Collected c;
  ASSERT_TRUE(c.parser.feed("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\na\r\nhello"));
  EXPECT_EQ(c.body, "hello");
  EXPECT_FALSE(c.parser.complete());
  ASSERT_TRUE(c.parser.feed(" out\n\r\n"));
  EXPECT_EQ(c.body, "hello out\n");
}

TEST(CtlHttpResponse, BodyUntilClose) {
  Collected c;
  ASSERT_TRUE(c.parser.feed("HTTP/1.0 200 OK\r\n\r\nabc"));
  EXPECT_FALSE(c.parser.complete());
  ASSERT_TRUE(c.parser.finish());
  EXPECT_TRUE(c.parser.complete());
  EXPECT_EQ(c.body, "abc");
  EXPECT_TRUE(c.parser.close_after());
}

TEST(CtlHttpResponse, ErrorStatusAndConnectionClose) {
  Collected c;
  ASSERT_TRUE(c.parser.feed(
      "HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_TRUE(c.parser.complete());
  EXPECT_EQ(c.parser.status(), 401);
  EXPECT_EQ(c.parser.reason(), "Unauthorized");
  EXPECT_TRUE(c.parser.close_after());
}

TEST(CtlHttpResponse, EarlyCloseIsAnError) {
  Collected c;
  ASSERT_TRUE(c.parser.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"));
  EXPECT_FALSE(c.parser.finish());
}

TEST(CtlHttpResponse, Malformed) {
  Collected a;
  EXPECT_FALSE(a.parser.feed("SMTP ready\r\n"));
  Collected b;
  EXPECT_FALSE(b.parser.feed("HTTP/1.1 2x0 OK\r\n"));
  Collected c;
  EXPECT_FALSE(c.parser.feed("HTTP/1.1 200 OK\r\nno colon here\r\n"));
  Collected d;
  EXPECT_FALSE(d.parser.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"));
}

}  // namespace
}  // namespace tend::ctl
