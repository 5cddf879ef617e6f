#include "http/server.h"

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

}  // namespace
}  // namespace tend::http
