#include "web/gunzip.h"

#include <array>
#include <cstdint>

namespace tend::web {

namespace {

constexpr int k_max_bits = 15;

// A canonical Huffman code as the decoder walks it: how many codes have each
// length, and the symbols in code order.
struct Huffman {
  std::array<uint16_t, k_max_bits + 1> count{};
  std::array<uint16_t, 288> symbol{};
};

// Builds `h` from code lengths; false when the lengths over-subscribe the
// code space (an incomplete code is allowed, as deflate permits for
// distance codes with one symbol).
bool build(Huffman& h, const uint8_t* lengths, int n) {
  h.count.fill(0);
  for (int i = 0; i < n; ++i) {
    ++h.count[lengths[i]];
  }
  int left = 1;
  for (int len = 1; len <= k_max_bits; ++len) {
    left <<= 1;
    left -= h.count[len];
    if (left < 0) {
      return false;
    }
  }
  std::array<uint16_t, k_max_bits + 2> offset{};
  for (int len = 1; len < k_max_bits; ++len) {
    offset[len + 1] = static_cast<uint16_t>(offset[len] + h.count[len]);
  }
  for (int i = 0; i < n; ++i) {
    if (lengths[i] != 0) {
      h.symbol[offset[lengths[i]]++] = static_cast<uint16_t>(i);
    }
  }
  return true;
}

class Inflater {
 public:
  Inflater(std::string_view in, size_t pos, size_t max) : m_in(in), m_pos(pos), m_max(max) {}

  // Decodes every block; nullptr on success, else the reason.
  const char* run() {
    bool last = false;
    while (!last) {
      if (m_error) {
        return m_error;
      }
      last = bits(1) == 1;
      uint32_t type = bits(2);
      const char* err = nullptr;
      if (type == 0) {
        err = stored();
      } else if (type == 1) {
        err = fixed();
      } else if (type == 2) {
        err = dynamic();
      } else {
        err = "invalid block type";
      }
      if (err != nullptr) {
        return err;
      }
    }
    return m_error;
  }

  std::string& out() { return m_out; }
  // The byte after the last one the deflate stream used.
  size_t end() const { return m_pos; }

 private:
  uint32_t bits(int need) {
    while (m_nbits < need) {
      if (m_pos >= m_in.size()) {
        m_error = "truncated data";
        return 0;
      }
      m_bitbuf |= static_cast<uint32_t>(static_cast<unsigned char>(m_in[m_pos++])) << m_nbits;
      m_nbits += 8;
    }
    uint32_t v = m_bitbuf & ((1u << need) - 1);
    m_bitbuf >>= need;
    m_nbits -= need;
    return v;
  }

  int decode(const Huffman& h) {
    int code = 0;
    int first = 0;
    int index = 0;
    for (int len = 1; len <= k_max_bits; ++len) {
      code |= static_cast<int>(bits(1));
      if (m_error) {
        return -1;
      }
      int count = h.count[len];
      if (code - count < first) {
        return h.symbol[index + (code - first)];
      }
      index += count;
      first += count;
      first <<= 1;
      code <<= 1;
    }
    m_error = "invalid code";
    return -1;
  }

  const char* stored() {
    m_bitbuf = 0;  // to the byte boundary
    m_nbits = 0;
    if (m_pos + 4 > m_in.size()) {
      return "truncated data";
    }
    auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(m_in[m_pos + k])); };
    uint32_t len = byte(0) | (byte(1) << 8);
    uint32_t nlen = byte(2) | (byte(3) << 8);
    m_pos += 4;
    if ((len ^ 0xFFFF) != nlen) {
      return "stored block length mismatch";
    }
    if (m_pos + len > m_in.size()) {
      return "truncated data";
    }
    if (m_out.size() + len > m_max) {
      return "output too large";
    }
    m_out.append(m_in.substr(m_pos, len));
    m_pos += len;
    return nullptr;
  }

  const char* codes(const Huffman& lit, const Huffman& dist) {
    static constexpr uint16_t k_len_base[] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                              31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
    static constexpr uint8_t k_len_extra[] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                              2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    static constexpr uint16_t k_dist_base[] = {1,   2,   3,   4,   5,   7,    9,    13,   17,   25,
                                               33,  49,  65,  97,  129, 193,  257,  385,  513,  769,
                                               1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
    static constexpr uint8_t k_dist_extra[] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                               6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
    for (;;) {
      int sym = decode(lit);
      if (sym < 0) {
        return m_error;
      }
      if (sym < 256) {
        if (m_out.size() >= m_max) {
          return "output too large";
        }
        m_out += static_cast<char>(sym);
        continue;
      }
      if (sym == 256) {
        return nullptr;
      }
      sym -= 257;
      if (sym >= 29) {
        return "invalid length symbol";
      }
      size_t len = k_len_base[sym] + bits(k_len_extra[sym]);
      int d = decode(dist);
      if (d < 0) {
        return m_error;
      }
      if (d >= 30) {
        return "invalid distance symbol";
      }
      size_t back = k_dist_base[d] + bits(k_dist_extra[d]);
      if (m_error) {
        return m_error;
      }
      if (back > m_out.size()) {
        return "distance too far back";
      }
      if (m_out.size() + len > m_max) {
        return "output too large";
      }
      size_t from = m_out.size() - back;
      for (size_t k = 0; k < len; ++k) {
        m_out += m_out[from + k];  // byte by byte: the copy may overlap what it writes
      }
    }
  }

  const char* fixed() {
    uint8_t lengths[288 + 30];
    for (int i = 0; i < 144; ++i) {
      lengths[i] = 8;
    }
    for (int i = 144; i < 256; ++i) {
      lengths[i] = 9;
    }
    for (int i = 256; i < 280; ++i) {
      lengths[i] = 7;
    }
    for (int i = 280; i < 288; ++i) {
      lengths[i] = 8;
    }
    for (int i = 288; i < 318; ++i) {
      lengths[i] = 5;
    }
    Huffman lit;
    Huffman dist;
    build(lit, lengths, 288);
    build(dist, lengths + 288, 30);
    return codes(lit, dist);
  }

  const char* dynamic() {
    static constexpr uint8_t k_order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    int nlen = static_cast<int>(bits(5)) + 257;
    int ndist = static_cast<int>(bits(5)) + 1;
    int ncode = static_cast<int>(bits(4)) + 4;
    if (m_error) {
      return m_error;
    }
    if (nlen > 286 || ndist > 30) {
      return "bad code counts";
    }
    uint8_t lengths[286 + 30] = {};
    for (int i = 0; i < ncode; ++i) {
      lengths[k_order[i]] = static_cast<uint8_t>(bits(3));
    }
    Huffman lencode;
    if (!build(lencode, lengths, 19)) {
      return "bad code lengths code";
    }
    int i = 0;
    while (i < nlen + ndist) {
      int sym = decode(lencode);
      if (sym < 0) {
        return m_error;
      }
      if (sym < 16) {
        lengths[i++] = static_cast<uint8_t>(sym);
        continue;
      }
      uint8_t value = 0;
      int repeat = 0;
      if (sym == 16) {
        if (i == 0) {
          return "repeat with no previous length";
        }
        value = lengths[i - 1];
        repeat = 3 + static_cast<int>(bits(2));
      } else if (sym == 17) {
        repeat = 3 + static_cast<int>(bits(3));
      } else {
        repeat = 11 + static_cast<int>(bits(7));
      }
      if (i + repeat > nlen + ndist) {
        return "too many code lengths";
      }
      while (repeat-- > 0) {
        lengths[i++] = value;
      }
    }
    if (m_error) {
      return m_error;
    }
    if (lengths[256] == 0) {
      return "no end-of-block code";
    }
    Huffman lit;
    Huffman dist;
    if (!build(lit, lengths, nlen) || !build(dist, lengths + nlen, ndist)) {
      return "over-subscribed code";
    }
    return codes(lit, dist);
  }

  std::string_view m_in;
  size_t m_pos;
  size_t m_max;
  uint32_t m_bitbuf = 0;
  int m_nbits = 0;
  const char* m_error = nullptr;
  std::string m_out;
};

uint32_t le32(std::string_view s, size_t at) {
  uint32_t v = 0;
  for (int k = 3; k >= 0; --k) {
    v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<size_t>(k)]);
  }
  return v;
}

Result<std::string> fail(const std::string& why) { return make_error("unable to decompress: " + why); }

}  // namespace

uint32_t crc32_of(std::string_view data) {
  static const std::array<uint32_t, 256> k_table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) {
        c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      }
      t[n] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  for (char ch : data) {
    c = k_table[(c ^ static_cast<unsigned char>(ch)) & 0xFF] ^ (c >> 8);
  }
  return c ^ 0xFFFFFFFFu;
}

Result<std::string> gunzip(std::string_view gz, size_t max_size) {
  if (gz.size() < 18 || static_cast<unsigned char>(gz[0]) != 0x1F || static_cast<unsigned char>(gz[1]) != 0x8B ||
      gz[2] != 8) {
    return fail("not a gzip file");
  }
  unsigned flags = static_cast<unsigned char>(gz[3]);
  size_t pos = 10;
  if ((flags & 4) != 0) {  // FEXTRA
    if (pos + 2 > gz.size()) {
      return fail("truncated header");
    }
    pos += 2 + (static_cast<unsigned char>(gz[pos]) | (static_cast<size_t>(static_cast<unsigned char>(gz[pos + 1])) << 8));
  }
  for (unsigned bit : {8u, 16u}) {  // FNAME, FCOMMENT: zero-terminated
    if ((flags & bit) != 0) {
      size_t nul = gz.find('\0', pos);
      if (nul == std::string_view::npos) {
        return fail("truncated header");
      }
      pos = nul + 1;
    }
  }
  if ((flags & 2) != 0) {  // FHCRC
    pos += 2;
  }
  if (pos >= gz.size()) {
    return fail("truncated header");
  }
  Inflater inflater(gz, pos, max_size);
  if (const char* err = inflater.run()) {
    return fail(err);
  }
  size_t end = inflater.end();
  if (end + 8 > gz.size()) {
    return fail("truncated trailer");
  }
  std::string out = std::move(inflater.out());
  if (le32(gz, end) != crc32_of(out) || le32(gz, end + 4) != static_cast<uint32_t>(out.size())) {
    return fail("CRC or length mismatch");
  }
  return out;
}

}  // namespace tend::web
