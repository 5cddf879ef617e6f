#include "config/expand.h"

#include <fmt/format.h>

#include <cstdio>
#include <optional>

#include "config/unicode.h"

namespace tend {

namespace {

struct Spec {
  bool left = false;   // '-'
  bool zero = false;   // '0'
  bool plus = false;   // '+'
  bool space = false;  // ' '
  bool alt = false;    // '#'
  size_t width = 0;
  std::optional<size_t> precision;
  char conv = 0;
};

constexpr size_t k_max_width = 100000;  // Python has no limit; we refuse silly ones.

std::string pad(std::string body, const Spec& spec, bool numeric) {
  size_t len = unicode::length(body);
  if (len >= spec.width) {
    return body;
  }
  size_t fill = spec.width - len;
  if (spec.left) {
    return body + std::string(fill, ' ');
  }
  if (numeric && spec.zero) {
    // Zeros go after the sign and the 0x/0o prefix.
    size_t after = 0;
    if (!body.empty() && (body[0] == '-' || body[0] == '+' || body[0] == ' ')) {
      after = 1;
    }
    if (body.size() >= after + 2 && body[after] == '0' &&
        (body[after + 1] == 'x' || body[after + 1] == 'X' || body[after + 1] == 'o')) {
      after += 2;
    }
    return body.substr(0, after) + std::string(fill, '0') + body.substr(after);
  }
  return std::string(fill, ' ') + body;
}

std::string format_int(int64_t v, const Spec& spec) {
  bool neg = v < 0;
  uint64_t mag = neg ? (~static_cast<uint64_t>(v) + 1) : static_cast<uint64_t>(v);
  std::string digits;
  std::string prefix;
  switch (spec.conv) {
    case 'o':
      digits = fmt::format("{:o}", mag);
      prefix = spec.alt ? "0o" : "";
      break;
    case 'x':
      digits = fmt::format("{:x}", mag);
      prefix = spec.alt ? "0x" : "";
      break;
    case 'X':
      digits = fmt::format("{:X}", mag);
      prefix = spec.alt ? "0X" : "";
      break;
    default:
      digits = fmt::format("{}", mag);
  }
  if (spec.precision && digits.size() < *spec.precision) {
    digits = std::string(*spec.precision - digits.size(), '0') + digits;
  }
  std::string sign = neg ? "-" : spec.plus ? "+" : spec.space ? " " : "";
  return pad(sign + prefix + digits, spec, true);
}

std::string format_float(double v, const Spec& spec) {
  std::string f = "%";
  if (spec.alt) {
    f += '#';
  }
  if (spec.plus) {
    f += '+';
  } else if (spec.space) {
    f += ' ';
  }
  f += fmt::format(".{}", spec.precision.value_or(6));
  f += spec.conv;
  char buf[512];
  std::snprintf(buf, sizeof buf, f.c_str(), v);
  return pad(buf, spec, true);
}

std::string truncate(std::string s, const Spec& spec) {
  if (spec.precision) {
    s.resize(unicode::offset_of(s, *spec.precision));
  }
  return s;
}

// Formats one value; returns an error reason (Python's TypeError/ValueError text).
Result<std::string> convert(const ExpandValue& value, const Spec& spec) {
  const std::string* str = std::get_if<std::string>(&value);
  const int64_t* num = std::get_if<int64_t>(&value);
  switch (spec.conv) {
    case 's':
      return pad(truncate(str ? *str : fmt::format("{}", *num), spec), spec, false);
    case 'r':
      return pad(truncate(str ? unicode::repr(*str) : fmt::format("{}", *num), spec), spec, false);
    case 'a':
      return pad(truncate(str ? unicode::ascii(*str) : fmt::format("{}", *num), spec), spec, false);
    case 'c':
      if (num) {
        if (*num < 0 || *num > 0x10FFFF) {
          return make_error("%c arg not in range(0x110000)");
        }
        return pad(unicode::encode(static_cast<char32_t>(*num)), spec, false);
      }
      if (unicode::length(*str) != 1) {
        return make_error("%c requires int or char");
      }
      return pad(*str, spec, false);
    case 'd': case 'i': case 'u':
      if (!num) {
        return make_error(fmt::format("%{} format: a real number is required, not str", spec.conv));
      }
      return format_int(*num, spec);
    case 'o': case 'x': case 'X':
      if (!num) {
        return make_error(fmt::format("%{} format: an integer is required, not str", spec.conv));
      }
      return format_int(*num, spec);
    default:  // e E f F g G
      if (!num) {
        return make_error("must be real number, not str");
      }
      return format_float(static_cast<double>(*num), spec);
  }
}

std::string available(const Expansions& names) {
  std::string out;
  for (const auto& [k, v] : names) {
    out += out.empty() ? "" : ", ";
    out += k;
  }
  return out;
}

}  // namespace

Result<std::string> expand(std::string_view format, const Expansions& names, std::string_view what) {
  auto bad = [&](const std::string& reason) {
    return make_error(fmt::format("Format string {} for {} is badly formatted: {}", unicode::repr(format),
                                  unicode::repr(what), reason));
  };
  std::string out;
  size_t i = 0;
  const size_t n = format.size();
  while (i < n) {
    size_t pct = format.find('%', i);
    if (pct == std::string_view::npos) {
      out.append(format.substr(i));
      break;
    }
    out.append(format.substr(i, pct - i));
    i = pct + 1;
    if (i >= n) {
      return bad("incomplete format");
    }
    if (format[i] == '%') {
      out += '%';
      ++i;
      continue;
    }
    if (format[i] != '(') {
      return bad(fmt::format("a conversion without a (name) at index {}; write %% for a literal %",
                             unicode::length(format.substr(0, pct))));
    }
    // The key runs to the matching ')', counting nested parentheses.
    size_t depth = 1;
    size_t key_start = ++i;
    while (i < n && depth > 0) {
      depth += format[i] == '(' ? 1 : format[i] == ')' ? -1 : 0;
      ++i;
    }
    if (depth > 0) {
      return bad("incomplete format key");
    }
    std::string key(format.substr(key_start, i - 1 - key_start));
    auto found = names.find(key);
    if (found == names.end()) {
      return make_error(fmt::format(
          "Format string {} for {} contains names ({}) which cannot be expanded. Available names: {}",
          unicode::repr(format), unicode::repr(what), unicode::repr(key), available(names)));
    }
    Spec spec;
    for (; i < n; ++i) {
      char c = format[i];
      if (c == '-') {
        spec.left = true;
      } else if (c == '+') {
        spec.plus = true;
      } else if (c == ' ') {
        spec.space = true;
      } else if (c == '#') {
        spec.alt = true;
      } else if (c == '0') {
        spec.zero = true;
      } else {
        break;
      }
    }
    if (i < n && format[i] == '*') {
      return bad("not enough arguments for format string");
    }
    for (; i < n && format[i] >= '0' && format[i] <= '9'; ++i) {
      spec.width = spec.width * 10 + static_cast<size_t>(format[i] - '0');
      if (spec.width > k_max_width) {
        return bad("width too big");
      }
    }
    if (i < n && format[i] == '.') {
      ++i;
      if (i < n && format[i] == '*') {
        return bad("not enough arguments for format string");
      }
      size_t prec = 0;
      for (; i < n && format[i] >= '0' && format[i] <= '9'; ++i) {
        prec = prec * 10 + static_cast<size_t>(format[i] - '0');
        if (prec > k_max_width) {
          return bad("precision too big");
        }
      }
      spec.precision = prec;
    }
    if (i < n && (format[i] == 'h' || format[i] == 'l' || format[i] == 'L')) {
      ++i;
    }
    if (i >= n) {
      return bad("incomplete format");
    }
    spec.conv = format[i];
    if (std::string_view("diuoxXeEfFgGcsra").find(spec.conv) == std::string_view::npos) {
      char32_t cp = 0;
      size_t len = unicode::decode(format, i, &cp);
      std::string shown = len == 0 ? "?" : std::string(format.substr(i, len));
      return bad(fmt::format("unsupported format character '{}' (0x{:x}) at index {}", shown,
                             static_cast<unsigned>(cp), unicode::length(format.substr(0, i))));
    }
    ++i;
    Result<std::string> piece = convert(found->second, spec);
    if (!piece) {
      return bad(piece.error());
    }
    out += *piece;
  }
  return out;
}

}  // namespace tend
