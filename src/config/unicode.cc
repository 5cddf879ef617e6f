#include "config/unicode.h"

#include <fmt/format.h>

#include "config/unicode_tables.h"

namespace tend::unicode {

size_t decode(std::string_view s, size_t i, char32_t* cp) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c0 = b(i);
  *cp = c0;
  if (c0 < 0x80) {
    return 1;
  }
  size_t len = 0;
  char32_t v = 0;
  char32_t min = 0;
  if (c0 >= 0xC2 && c0 <= 0xDF) {
    len = 2;
    v = c0 & 0x1F;
    min = 0x80;
  } else if (c0 >= 0xE0 && c0 <= 0xEF) {
    len = 3;
    v = c0 & 0x0F;
    min = 0x800;
  } else if (c0 >= 0xF0 && c0 <= 0xF4) {
    len = 4;
    v = c0 & 0x07;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) {
    return 0;
  }
  for (size_t k = 1; k < len; ++k) {
    unsigned char c = b(i + k);
    if ((c & 0xC0) != 0x80) {
      return 0;
    }
    v = (v << 6) | (c & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
    return 0;
  }
  *cp = v;
  return len;
}

namespace {

// Like decode() but never returns 0: an invalid byte is one unit.
size_t step(std::string_view s, size_t i, char32_t* cp) {
  size_t n = decode(s, i, cp);
  return n == 0 ? 1 : n;
}

// Start of the code point that ends just before byte `end` (end > 0).
size_t prev_start(std::string_view s, size_t end) {
  for (size_t back = 1; back <= 4 && back <= end; ++back) {
    char32_t cp = 0;
    if (decode(s, end - back, &cp) == back) {
      return end - back;
    }
  }
  return end - 1;
}

bool is_printable(char32_t cp) {
  if (cp < 0x20 || (cp >= 0x7F && cp <= 0xA0) || cp == 0xAD) {
    return false;
  }
  if (cp != ' ' && is_space(cp)) {
    return false;
  }
  if ((cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) ||
      (cp >= 0x2060 && cp <= 0x206F) || cp == 0xFEFF || (cp >= 0xD800 && cp <= 0xDFFF) ||
      (cp >= 0xE000 && cp <= 0xF8FF) || (cp >= 0xFFF9 && cp <= 0xFFFB) || cp >= 0xF0000) {
    return false;
  }
  return true;
}

std::string repr_impl(std::string_view s, bool ascii_only) {
  bool has_single = s.find('\'') != std::string_view::npos;
  bool has_double = s.find('"') != std::string_view::npos;
  char quote = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, quote);
  for (size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    size_t n = decode(s, i, &cp);
    if (n == 0) {  // not representable in a Python str; show the byte
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(s[i]));
      i += 1;
      continue;
    }
    if (cp == static_cast<char32_t>(quote) || cp == '\\') {
      out += '\\';
      out += static_cast<char>(cp);
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp < 0x80 ? (cp >= 0x20 && cp < 0x7F) : (!ascii_only && is_printable(cp))) {
      out.append(s.substr(i, n));
    } else if (cp <= 0xFF) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned>(cp));
    } else if (cp <= 0xFFFF) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(cp));
    } else {
      out += fmt::format("\\U{:08x}", static_cast<unsigned>(cp));
    }
    i += n;
  }
  out += quote;
  return out;
}

bool in_ranges(const unicode_tables::CodeRange* table, int count, char32_t cp) {
  int lo = 0;
  int hi = count - 1;
  while (lo <= hi) {
    int mid = (lo + hi) / 2;
    if (static_cast<int>(cp) < table[mid].first) {
      hi = mid - 1;
    } else if (static_cast<int>(cp) > table[mid].last) {
      lo = mid + 1;
    } else {
      return true;
    }
  }
  return false;
}

bool is_cased(char32_t cp) { return in_ranges(unicode_tables::k_cased, unicode_tables::k_cased_count, cp); }
bool is_case_ignorable(char32_t cp) {
  return in_ranges(unicode_tables::k_case_ignorable, unicode_tables::k_case_ignorable_count, cp);
}

// Python's Final_Sigma test for the sigma at bytes [begin, end): a cased letter
// before it and none after it, skipping case-ignorable characters both ways.
bool is_final_sigma(std::string_view s, size_t begin, size_t end) {
  char32_t cp = 0;
  bool found = false;
  for (size_t j = begin; j > 0;) {
    j = prev_start(s, j);
    step(s, j, &cp);
    if (!is_case_ignorable(cp)) {
      found = true;
      break;
    }
  }
  if (!found || !is_cased(cp)) {
    return false;
  }
  for (size_t j = end; j < s.size();) {
    j += step(s, j, &cp);
    if (!is_case_ignorable(cp)) {
      return !is_cased(cp);
    }
  }
  return true;
}

}  // namespace

size_t invalid_offset(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    size_t n = decode(s, i, &cp);
    if (n == 0) {
      return i;
    }
    i += n;
  }
  return std::string_view::npos;
}

std::string encode(char32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

bool is_space(char32_t cp) {
  switch (cp) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D:
    case 0x1C: case 0x1D: case 0x1E: case 0x1F: case 0x20:
    case 0x85: case 0xA0: case 0x1680:
    case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

std::string_view lstrip(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    char32_t cp = 0;
    size_t n = decode(s, i, &cp);
    if (n == 0 || !is_space(cp)) {
      break;
    }
    i += n;
  }
  return s.substr(i);
}

std::string_view rstrip(std::string_view s) {
  size_t end = s.size();
  while (end > 0) {
    size_t start = prev_start(s, end);
    char32_t cp = 0;
    size_t n = decode(s, start, &cp);
    if (n != end - start || !is_space(cp)) {
      break;
    }
    end = start;
  }
  return s.substr(0, end);
}

std::string_view strip(std::string_view s) { return rstrip(lstrip(s)); }

std::string lower(std::string_view s) {
  using unicode_tables::k_lower_range_count;
  using unicode_tables::k_lower_ranges;
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    size_t n = decode(s, i, &cp);
    if (n == 0) {
      out += s[i];
      i += 1;
      continue;
    }
    i += n;
    if (cp < 0x80) {
      out += static_cast<char>((cp >= 'A' && cp <= 'Z') ? cp + 32 : cp);
      continue;
    }
    if (cp == 0x130) {  // LATIN CAPITAL LETTER I WITH DOT ABOVE -> "i" + COMBINING DOT ABOVE
      out += "i\xCC\x87";
      continue;
    }
    if (cp == 0x3A3) {  // capital sigma: final or not
      out += is_final_sigma(s, i - n, i) ? "\xCF\x82" : "\xCF\x83";
      continue;
    }
    char32_t mapped = cp;
    for (int k = 0; k < k_lower_range_count; ++k) {
      const auto& r = k_lower_ranges[k];
      if (static_cast<int>(cp) < r.first) {
        break;
      }
      if (static_cast<int>(cp) <= r.last && (static_cast<int>(cp) - r.first) % r.stride == 0) {
        mapped = static_cast<char32_t>(static_cast<int>(cp) + r.delta);
        break;
      }
    }
    out += encode(mapped);
  }
  return out;
}

size_t length(std::string_view s) {
  size_t count = 0;
  for (size_t i = 0; i < s.size(); ++count) {
    char32_t cp = 0;
    i += step(s, i, &cp);
  }
  return count;
}

size_t offset_of(std::string_view s, size_t n) {
  size_t i = 0;
  for (size_t k = 0; k < n && i < s.size(); ++k) {
    char32_t cp = 0;
    i += step(s, i, &cp);
  }
  return i;
}

std::string repr(std::string_view s) { return repr_impl(s, false); }
std::string ascii(std::string_view s) { return repr_impl(s, true); }

}  // namespace tend::unicode
