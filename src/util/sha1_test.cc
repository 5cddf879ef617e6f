#include "util/sha1.h"

#include <gtest/gtest.h>

#include "util/base64.h"

namespace tend {
namespace {

TEST(Sha1, KnownVectors) {
  EXPECT_EQ(sha1_hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(sha1_hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(sha1_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(sha1_hex(std::string(1000000, 'a')), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  EXPECT_EQ(sha1_hex("thepassword"), "82ab876d1387bfafe46cc1c8a2ef074eae50cb1d");
}

TEST(Sha1, PaddingBoundaries) {
  // 55, 56 and 64 bytes straddle the one-block / two-block padding switch.
  EXPECT_EQ(sha1_hex(std::string(55, 'a')), "c1c8bbdc22796e28c0e15163d20899b65621d65a");
  EXPECT_EQ(sha1_hex(std::string(56, 'a')), "c2db330f6083854c99d4b5bfb6e8f29f201be699");
  EXPECT_EQ(sha1_hex(std::string(64, 'a')), "0098ba824b5c16427bd7a1122a5a442a25ec644d");
}

TEST(Base64, RoundTrip) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("user:pass"), "dXNlcjpwYXNz");
  std::string all;
  for (int i = 0; i < 256; ++i) {
    all += static_cast<char>(i);
  }
  Result<std::string> back = base64_decode(base64_encode_lines(all));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(*back, all);
}

TEST(Base64, LinesLikePython) {
  std::string text = base64_encode_lines(std::string(58, 'x'));
  EXPECT_EQ(text.find('\n'), 76u);
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(base64_encode_lines(""), "");
}

TEST(Base64, RejectsGarbage) {
  EXPECT_FALSE(base64_decode("Zm9").ok());
  EXPECT_FALSE(base64_decode("Zm9v!").ok());
  EXPECT_FALSE(base64_decode("Zg==Zg==").ok());
  EXPECT_FALSE(base64_decode("Z===").ok());
  EXPECT_TRUE(base64_decode(" Zm9v\nYmFy ").ok());
}

}  // namespace
}  // namespace tend
