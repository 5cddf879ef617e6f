#include "web/gunzip.h"

#include <gtest/gtest.h>

namespace tend::web {
namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) {
    s += static_cast<char>(c);
  }
  return s;
}

// gzip -9n of "hello hello hello hello\n" (fixed Huffman, with a back-reference).
const std::string k_fixed = bytes({0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb, 0x48, 0xcd,
                                   0xc9, 0xc9, 0x57, 0xc8, 0x40, 0x27, 0xb9, 0x00, 0x00, 0x88, 0x59, 0x0b, 0x18,
                                   0x00, 0x00, 0x00});

TEST(WebGunzip, Crc32) {
  EXPECT_EQ(crc32_of(""), 0u);
  EXPECT_EQ(crc32_of("123456789"), 0xCBF43926u);
}

TEST(WebGunzip, FixedHuffmanWithBackReference) {
  Result<std::string> r = gunzip(k_fixed);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(*r, "hello hello hello hello\n");
}

TEST(WebGunzip, StoredBlock) {
  // A stored block holding "abc", with its CRC and length.
  std::string gz = bytes({0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03, 0x01, 0x03, 0x00, 0xfc, 0xff, 'a', 'b', 'c'});
  uint32_t crc = crc32_of("abc");
  for (int k = 0; k < 4; ++k) {
    gz += static_cast<char>((crc >> (8 * k)) & 0xFF);
  }
  gz += bytes({3, 0, 0, 0});
  Result<std::string> r = gunzip(gz);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(*r, "abc");
}

TEST(WebGunzip, RejectsDamage) {
  EXPECT_FALSE(gunzip(""));
  EXPECT_FALSE(gunzip("not gzip at all, really"));
  std::string bad_crc = k_fixed;
  bad_crc[bad_crc.size() - 8] ^= 1;
  EXPECT_FALSE(gunzip(bad_crc));
  EXPECT_FALSE(gunzip(k_fixed.substr(0, k_fixed.size() - 3)));
  Result<std::string> small = gunzip(k_fixed, 10);
  ASSERT_FALSE(small);
  EXPECT_NE(small.error().find("unable to decompress"), std::string::npos);
}

}  // namespace
}  // namespace tend::web
