#include "http/auth.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tend::http {
namespace {

// How often the comparison read each index of each side.
struct Reads {
  std::vector<int> a, b;
};

bool counted_equal(const std::string& a, const std::string& b, Reads* reads) {
  reads->a.assign(a.size(), 0);
  reads->b.assign(b.size(), 0);
  return detail::constant_time_equal_bytes(
      a.size(), b.size(),
      [&](size_t i) {
        ++reads->a.at(i);
        return static_cast<unsigned char>(a[i]);
      },
      [&](size_t i) {
        ++reads->b.at(i);
        return static_cast<unsigned char>(b[i]);
      });
}

// Instead of timing (too noisy to assert on a loaded machine), the comparison
// is shown to do the same work whatever the inputs: every byte of both sides
// is read exactly once, whether the first byte differs, the last, none, or the
// lengths. A comparison that stopped at the first difference would read one
// byte of "Xs3cret" and fail here.
TEST(ConstantTimeEqual, ReadsEveryByteWhereverTheDifferenceIs) {
  const std::string secret = "s3cret-password";
  struct Case {
    std::string given;
    bool equal;
  };
  const Case cases[] = {
      {secret, true},
      {"X" + secret.substr(1), false},                     // wrong first byte
      {secret.substr(0, secret.size() - 1) + "X", false},  // wrong last byte
      {"XXXXXXXXXXXXXXX", false},                          // all wrong
      {"s", false},                                        // a prefix
      {secret + "-and-more", false},                       // longer
      {"", false},
  };
  for (const Case& c : cases) {
    Reads reads;
    EXPECT_EQ(counted_equal(c.given, secret, &reads), c.equal) << c.given;
    EXPECT_EQ(reads.a, std::vector<int>(c.given.size(), 1)) << c.given;
    EXPECT_EQ(reads.b, std::vector<int>(secret.size(), 1)) << c.given;
    EXPECT_EQ(constant_time_equal(c.given, secret), c.equal) << c.given;
  }
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_FALSE(constant_time_equal(std::string("a\0", 2), "a"));  // a NUL is a byte, not an end
}

}  // namespace
}  // namespace tend::http
