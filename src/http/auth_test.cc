#include "http/auth.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "util/base64.h"
#include "util/sha1.h"

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

std::string basic(const std::string& user_pass) { return "Basic " + base64_encode(user_pass); }

// check_basic_auth compares the user name and the password both, always (by
// reading: `user_ok` and `pass_ok` are computed before either is tested), so
// a wrong user costs what a wrong password does. Here: its verdicts.
TEST(BasicAuth, Verdicts) {
  Credentials plain{"admin", "s3cret"};
  Credentials sha{"admin", "{SHA}" + sha1_hex("s3cret")};
  for (const Credentials* c : {&plain, &sha}) {
    const Credentials& creds = *c;
    std::string right = basic("admin:s3cret");
    EXPECT_TRUE(check_basic_auth(creds, &right));
    std::string lower_scheme = "basic " + base64_encode("admin:s3cret");
    EXPECT_TRUE(check_basic_auth(creds, &lower_scheme));
    for (std::string wrong : {basic("admin:s3creX"), basic("admin:X3cret"), basic("Xdmin:s3cret"),
                              basic("admin:"), basic("admin"), basic(":"), std::string("Basic !!!"),
                              std::string("Bearer x"), std::string("Basic"), std::string(""),
                              basic("admin:s3cret:"), basic("admin:" + creds.password)}) {
      if (wrong == basic("admin:" + creds.password) && c == &plain) {
        continue;  // for the plain password that is the right one
      }
      EXPECT_FALSE(check_basic_auth(creds, &wrong)) << wrong;
    }
    EXPECT_FALSE(check_basic_auth(creds, nullptr));
  }
  Credentials none;
  EXPECT_TRUE(check_basic_auth(none, nullptr));
}

}  // namespace
}  // namespace tend::http
