// FlatJson: a strict JSON parser for the one-level objects of log/json_line.h,
// for tests only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace tend {

// A strict parser for the flat objects append_json_record writes: string,
// integer and true values only. Rejects anything RFC 8259 rejects in those
// (raw control characters, bad escapes, lone surrogates, invalid UTF-8,
// trailing bytes), so a record it accepts is one any JSON parser accepts.
class FlatJson {
 public:
  using Object = std::map<std::string, std::string>;  // strings decoded, numbers and true as text

  static std::optional<Object> parse(std::string_view text) {
    FlatJson p(text);
    Object obj;
    if (!p.object(obj) || p.m_pos != text.size()) {
      return std::nullopt;
    }
    return obj;
  }

  // Whether s is well-formed UTF-8 (no overlongs, surrogates, > U+10FFFF).
  static bool valid_utf8(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
      auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
      unsigned char c = b(0);
      size_t len = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
      if (len == 0 || i + len > s.size()) {
        return false;
      }
      uint32_t cp = len == 1 ? c : c & (0xFF >> (len + 1));
      for (size_t k = 1; k < len; ++k) {
        if ((b(k) & 0xC0) != 0x80) {
          return false;
        }
        cp = (cp << 6) | (b(k) & 0x3F);
      }
      static constexpr uint32_t k_min[] = {0, 0, 0x80, 0x800, 0x10000};
      if (cp < k_min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return false;
      }
      i += len;
    }
    return true;
  }

 private:
  explicit FlatJson(std::string_view t) : m_t(t) {}

  bool eat(char c) {
    if (m_pos < m_t.size() && m_t[m_pos] == c) {
      ++m_pos;
      return true;
    }
    return false;
  }

  bool object(Object& obj) {
    if (!eat('{')) {
      return false;
    }
    if (eat('}')) {
      return true;
    }
    do {
      std::string key;
      std::string value;
      if (!string(key) || !eat(':') || !scalar(value) || obj.count(key) != 0) {
        return false;
      }
      obj[key] = value;
    } while (eat(','));
    return eat('}');
  }

  bool scalar(std::string& out) {
    if (m_pos < m_t.size() && m_t[m_pos] == '"') {
      return string(out);
    }
    if (m_t.substr(m_pos, 4) == "true") {
      m_pos += 4;
      out = "true";
      return true;
    }
    size_t start = m_pos;
    eat('-');
    while (m_pos < m_t.size() && m_t[m_pos] >= '0' && m_t[m_pos] <= '9') {
      ++m_pos;
    }
    out = std::string(m_t.substr(start, m_pos - start));
    return m_pos > start && out != "-";
  }

  bool hex4(uint32_t& v) {
    if (m_pos + 4 > m_t.size()) {
      return false;
    }
    v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = m_t[m_pos++];
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) {
        return false;
      }
      v = v * 16 + static_cast<uint32_t>(d);
    }
    return true;
  }

  static void put_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  bool string(std::string& out) {
    if (!eat('"')) {
      return false;
    }
    size_t raw_start = m_pos;
    std::string raw;  // the unescaped bytes as they stand, checked for UTF-8 at the end
    while (m_pos < m_t.size()) {
      unsigned char c = static_cast<unsigned char>(m_t[m_pos]);
      if (c == '"') {
        ++m_pos;
        return valid_utf8(raw) && raw_start <= m_pos;
      }
      if (c < 0x20) {
        return false;
      }
      if (c != '\\') {
        raw.push_back(static_cast<char>(c));
        out.push_back(static_cast<char>(c));
        ++m_pos;
        continue;
      }
      ++m_pos;
      if (m_pos >= m_t.size()) {
        return false;
      }
      char e = m_t[m_pos++];
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          uint32_t cp = 0;
          if (!hex4(cp)) {
            return false;
          }
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo = 0;
            if (!eat('\\') || !eat('u') || !hex4(lo) || lo < 0xDC00 || lo > 0xDFFF) {
              return false;
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return false;
          }
          put_utf8(out, cp);
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }

  std::string_view m_t;
  size_t m_pos = 0;
};

}  // namespace tend
