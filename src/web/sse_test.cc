#include "web/sse.h"

#include <gtest/gtest.h>

namespace tend::web {
namespace {

TEST(WebSse, OneEventFrame) {
  EXPECT_EQ(sse_event("process", "{\"a\":1}"), "event: process\ndata: {\"a\":1}\n\n");
  EXPECT_EQ(sse_event("reset", "{}"), "event: reset\ndata: {}\n\n");
}

TEST(WebSse, LineBreaksCannotSplitOrForgeAFrame) {
  std::string f = sse_event("data", "x\n\nevent: evil\r\ndata: y");
  EXPECT_EQ(f, "event: data\ndata: x  event: evil  data: y\n\n");
  EXPECT_EQ(sse_event("a\nb", "1"), "event: a b\ndata: 1\n\n");
}

}  // namespace
}  // namespace tend::web
