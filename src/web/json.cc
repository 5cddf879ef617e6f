#include "web/json.h"

#include <cctype>

#include <fmt/format.h>

#include "config/unicode.h"
#include "web/text.h"

namespace tend::web {

namespace {

// "\u00XX" for a byte below 0x80.
void append_u_escape(std::string& out, unsigned char c) {
  static constexpr char k_hex[] = "0123456789abcdef";
  out += "\\u00";
  out += k_hex[c >> 4];
  out += k_hex[c & 0xF];
}

}  // namespace

void append_json_string(std::string& out, std::string_view bytes) {
  std::string text = repair_utf8(bytes);
  out += '"';
  for (char ch : text) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '<':
      case '>':
      case '&': append_u_escape(out, c); break;
      default:
        if (c < 0x20 || c == 0x7F) {
          append_u_escape(out, c);
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

std::string json_string(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + 2);
  append_json_string(out, bytes);
  return out;
}

void JsonObject::key(std::string_view k) {
  if (m_out.size() > 1) {
    m_out += ',';
  }
  append_json_string(m_out, k);
  m_out += ':';
}

JsonObject& JsonObject::str(std::string_view k, std::string_view value) {
  key(k);
  append_json_string(m_out, value);
  return *this;
}

JsonObject& JsonObject::num(std::string_view k, int64_t value) {
  key(k);
  m_out += std::to_string(value);
  return *this;
}

JsonObject& JsonObject::boolean(std::string_view k, bool value) {
  key(k);
  m_out += value ? "true" : "false";
  return *this;
}

JsonObject& JsonObject::tristate(std::string_view k, std::optional<bool> value) {
  key(k);
  m_out += !value ? "null" : (*value ? "true" : "false");
  return *this;
}

JsonObject& JsonObject::raw(std::string_view k, std::string_view json) {
  key(k);
  m_out += json;
  return *this;
}

std::string JsonObject::take() {
  m_out += '}';
  return std::move(m_out);
}

namespace {

class Parser {
 public:
  explicit Parser(std::string_view s) : m_s(s) {}

  Result<FlatObject> object() {
    FlatObject out;
    skip_space();
    if (!eat('{')) {
      return fail("expected an object");
    }
    skip_space();
    if (eat('}')) {
      return finish(std::move(out));
    }
    for (;;) {
      skip_space();
      std::optional<std::string> name = string();
      if (!name) {
        return fail("expected a member name");
      }
      skip_space();
      if (!eat(':')) {
        return fail("expected ':'");
      }
      skip_space();
      std::optional<std::string> value = scalar();
      if (!value) {
        return fail(fmt::format("member \"{}\" is not a string, number, boolean or null", *name));
      }
      if (!out.emplace(std::move(*name), std::move(*value)).second) {
        return fail("a member name appears twice");
      }
      skip_space();
      if (eat('}')) {
        return finish(std::move(out));
      }
      if (!eat(',')) {
        return fail("expected ',' or '}'");
      }
    }
  }

 private:
  Result<FlatObject> finish(FlatObject out) {
    skip_space();
    if (m_i != m_s.size()) {
      return fail("trailing bytes after the object");
    }
    return out;
  }
  static Result<FlatObject> fail(const std::string& why) { return make_error("unable to parse JSON: " + why); }

  void skip_space() {
    while (m_i < m_s.size() && (m_s[m_i] == ' ' || m_s[m_i] == '\t' || m_s[m_i] == '\n' || m_s[m_i] == '\r')) {
      ++m_i;
    }
  }
  bool eat(char c) {
    if (m_i < m_s.size() && m_s[m_i] == c) {
      ++m_i;
      return true;
    }
    return false;
  }

  std::optional<std::string> scalar() {
    if (m_i < m_s.size() && m_s[m_i] == '"') {
      return string();
    }
    for (std::string_view word : {"true", "false", "null"}) {
      if (m_s.substr(m_i, word.size()) == word) {
        m_i += word.size();
        return std::string(word);
      }
    }
    size_t start = m_i;
    while (m_i < m_s.size() && (std::isdigit(static_cast<unsigned char>(m_s[m_i])) || m_s[m_i] == '-' ||
                                m_s[m_i] == '+' || m_s[m_i] == '.' || m_s[m_i] == 'e' || m_s[m_i] == 'E')) {
      ++m_i;
    }
    if (m_i == start) {
      return std::nullopt;
    }
    return std::string(m_s.substr(start, m_i - start));
  }

  std::optional<unsigned> hex4() {
    if (m_i + 4 > m_s.size()) {
      return std::nullopt;
    }
    unsigned v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = m_s[m_i++];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<unsigned>(c - 'A' + 10);
      } else {
        return std::nullopt;
      }
    }
    return v;
  }

  std::optional<std::string> string() {
    if (!eat('"')) {
      return std::nullopt;
    }
    std::string out;
    while (m_i < m_s.size()) {
      char c = m_s[m_i++];
      if (c == '"') {
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        return std::nullopt;
      }
      if (c != '\\') {
        out += c;
        continue;
      }
      if (m_i >= m_s.size()) {
        return std::nullopt;
      }
      char e = m_s[m_i++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          std::optional<unsigned> cp = hex4();
          if (!cp) {
            return std::nullopt;
          }
          unsigned v = *cp;
          if (v >= 0xD800 && v <= 0xDBFF && m_s.substr(m_i, 2) == "\\u") {
            m_i += 2;
            std::optional<unsigned> lo = hex4();
            if (!lo || *lo < 0xDC00 || *lo > 0xDFFF) {
              return std::nullopt;
            }
            v = 0x10000 + ((v - 0xD800) << 10) + (*lo - 0xDC00);
          } else if (v >= 0xD800 && v <= 0xDFFF) {
            v = 0xFFFD;  // a lone surrogate
          }
          out += unicode::encode(v);
          break;
        }
        default: return std::nullopt;
      }
    }
    return std::nullopt;
  }

  std::string_view m_s;
  size_t m_i = 0;
};

}  // namespace

Result<FlatObject> parse_flat_object(std::string_view text) { return Parser(text).object(); }

}  // namespace tend::web
