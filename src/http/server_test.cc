#include "http/server.h"

#include "http/message.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace tend::http {
namespace {

TEST(FdReserve, KeepsTheLastDescriptorsFree) {
  // limit 64: fds 0..63; fd 31 leaves 32..63 (32 fds), fd 32 leaves 31.
  EXPECT_TRUE(leaves_fd_reserve(31, 64, 32));
  EXPECT_FALSE(leaves_fd_reserve(32, 64, 32));
  EXPECT_FALSE(leaves_fd_reserve(63, 64, 1));
  EXPECT_TRUE(leaves_fd_reserve(62, 64, 1));
}

TEST(FdReserve, ALimitBelowTheReserveLeavesNothing) {
  EXPECT_FALSE(leaves_fd_reserve(3, 32, 32));
  EXPECT_FALSE(leaves_fd_reserve(0, 16, 32));
}

TEST(FdReserve, UnlimitedAndOutOfRange) {
  EXPECT_TRUE(leaves_fd_reserve(100000, UINT64_MAX, 32));
  EXPECT_FALSE(leaves_fd_reserve(-1, 64, 0));
  EXPECT_FALSE(leaves_fd_reserve(64, 64, 0));
}

TEST(SpareBuffer, KeepsOneBufferTheLargestUnderTheCap) {
  SpareBuffer spare(1000);
  EXPECT_EQ(spare.take().capacity(), std::string().capacity());  // nothing to lend yet
  std::string a;
  a.reserve(500);
  a = "answer";
  spare.give(std::move(a));
  EXPECT_GE(spare.capacity(), 500u);
  std::string small;
  small.reserve(100);
  spare.give(std::move(small));  // smaller: the larger one stays
  EXPECT_GE(spare.capacity(), 500u);
  std::string huge;
  huge.reserve(5000);
  spare.give(std::move(huge));  // above the cap: its memory goes back
  EXPECT_LT(spare.capacity(), 1000u);
  std::string lent = spare.take();
  EXPECT_GE(lent.capacity(), 500u);
  EXPECT_TRUE(lent.empty());
  EXPECT_LT(spare.capacity(), 500u);  // lent out: two answers never share it
}

}  // namespace
}  // namespace tend::http
