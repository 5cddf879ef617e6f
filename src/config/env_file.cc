#include "config/env_file.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>

#include "config/datatypes.h"
#include "config/unicode.h"
#include "util/io.h"

namespace tend {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

bool is_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

bool is_valid_key(std::string_view k) {
  if (k.empty() || !((k[0] >= 'a' && k[0] <= 'z') || (k[0] >= 'A' && k[0] <= 'Z') || k[0] == '_')) {
    return false;
  }
  for (char c : k) {
    if (!is_key_char(c)) {
      return false;
    }
  }
  return true;
}

// Rule 8: CRLF becomes LF (a CR elsewhere is data).
std::string without_crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] == '\n')) {
      continue;
    }
    out += text[i];
  }
  return out;
}

// Reads the statements of one text; every method leaves m_pos after what it read.
class DotenvReader {
 public:
  DotenvReader(std::string_view text, std::string_view source) : m_text(text), m_source(source) {}

  Result<EnvList> read_all() {
    EnvList out;
    while (skip_blanks(), m_pos < m_text.size()) {
      char c = m_text[m_pos];
      if (c == '\n') {
        next_line();
        continue;
      }
      if (c == '#') {
        skip_to_line_end();
        continue;
      }
      m_start_line = m_line;
      std::pair<std::string, std::string> kv;
      if (Status st = read_statement(kv); !st) {
        return Error{st.error()};
      }
      env_merge(out, {std::move(kv)});
    }
    return out;
  }

 private:
  Error fail(const std::string& what) const { return Error{fmt::format("{}:{}: {}", m_source, m_start_line, what)}; }

  bool at(char c) const { return m_pos < m_text.size() && m_text[m_pos] == c; }
  bool at_line_end() const { return m_pos >= m_text.size() || m_text[m_pos] == '\n'; }
  void skip_blanks() {
    while (m_pos < m_text.size() && is_blank(m_text[m_pos])) {
      ++m_pos;
    }
  }
  void skip_to_line_end() {
    while (!at_line_end()) {
      ++m_pos;
    }
  }
  void next_line() {
    ++m_pos;
    ++m_line;
  }

  // One statement, from its key to the end of its (last) line.
  Status read_statement(std::pair<std::string, std::string>& out) {
    std::string_view rest = m_text.substr(m_pos);
    if (rest.rfind("export", 0) == 0 && rest.size() > 6 && is_blank(rest[6])) {
      m_pos += 6;
      skip_blanks();
    }
    size_t key_start = m_pos;
    while (!at_line_end() && !is_blank(m_text[m_pos]) && m_text[m_pos] != '=') {
      ++m_pos;
    }
    std::string_view key = m_text.substr(key_start, m_pos - key_start);
    if (key.empty()) {
      return fail("a variable name is missing before '='");
    }
    if (!is_valid_key(key)) {
      return fail(
          fmt::format("{} is not a valid variable name (a letter or '_', then letters, digits, '_', "
                      "'.' or '-')",
                      unicode::repr(key)));
    }
    skip_blanks();
    if (!at('=')) {
      return fail(fmt::format("expected KEY=VALUE, found no '=' after {}", unicode::repr(key)));
    }
    ++m_pos;
    skip_blanks();
    out.first = std::string(key);
    if (at('\'') || at('"')) {
      Result<std::string> v = at('\'') ? read_single_quoted() : read_double_quoted();
      if (!v) {
        return Error{v.error()};
      }
      out.second = std::move(*v);
      skip_blanks();
      if (at('#')) {
        skip_to_line_end();
      }
      if (!at_line_end()) {
        return fail(fmt::format("unexpected text after the closing quote of {}", unicode::repr(key)));
      }
      return ok_status();
    }
    out.second = read_unquoted();
    return ok_status();
  }

  std::string read_unquoted() {
    size_t start = m_pos;
    size_t end = m_pos;
    while (!at_line_end()) {
      char c = m_text[m_pos];
      if (c == '#' && is_blank(m_text[m_pos - 1])) {  // the value follows '=' or a blank
        skip_to_line_end();
        break;
      }
      ++m_pos;
      if (!is_blank(c)) {
        end = m_pos;
      }
    }
    return std::string(m_text.substr(start, end - start));
  }

  Result<std::string> read_single_quoted() {
    size_t close = m_text.find('\'', m_pos + 1);
    if (close == std::string_view::npos) {
      return fail("unterminated single-quoted value");
    }
    std::string value(m_text.substr(m_pos + 1, close - m_pos - 1));
    for (char c : value) {
      m_line += c == '\n' ? 1 : 0;
    }
    m_pos = close + 1;
    return value;
  }

  Result<std::string> read_double_quoted() {
    std::string value;
    for (size_t i = m_pos + 1; i < m_text.size(); ++i) {
      char c = m_text[i];
      if (c == '"') {
        m_pos = i + 1;
        return value;
      }
      if (c == '\\' && i + 1 < m_text.size()) {
        char e = m_text[i + 1];
        if (e == 'n' || e == '"' || e == '\\') {
          value += e == 'n' ? '\n' : e;
          ++i;
          continue;
        }
      }
      m_line += c == '\n' ? 1 : 0;
      value += c;
    }
    return fail("unterminated double-quoted value");
  }

  std::string_view m_text;
  std::string_view m_source;
  size_t m_pos = 0;
  int m_line = 1;
  int m_start_line = 1;  // of the statement being read
};

}  // namespace

Result<EnvList> parse_dotenv(std::string_view text, std::string_view source) {
  std::string lf = without_crlf(text);
  if (size_t nul = lf.find('\0'); nul != std::string::npos) {
    int line = 1;
    for (size_t i = 0; i < nul; ++i) {
      line += lf[i] == '\n' ? 1 : 0;
    }
    return make_error(fmt::format("{}:{}: a NUL byte, which no environment variable can hold", source, line));
  }
  return DotenvReader(lf, source).read_all();
}

Result<EnvList> read_env_files(std::string_view list, const std::string& base_dir, const std::string& home) {
  EnvList out;
  for (const std::string& entry : parse_list_of_strings(list)) {
    std::string_view item = entry;
    bool optional = !item.empty() && item[0] == '-';
    if (optional) {
      item = unicode::strip(item.substr(1));
    }
    if (item.empty()) {
      if (optional) {
        return make_error("'-' without a path");
      }
      continue;  // a stray comma
    }
    std::string path = normalize_path(py_join(base_dir, expand_user(item, home)));
    struct stat st {};
    if (optional && ::stat(path.c_str(), &st) != 0 && (errno == ENOENT || errno == ENOTDIR)) {
      continue;
    }
    Result<std::string> text = read_whole_file(path);
    if (!text) {
      return make_error(fmt::format("unable to read {}: {}", path, text.error()));
    }
    Result<EnvList> vars = parse_dotenv(*text, path);
    if (!vars) {
      return Error{vars.error()};
    }
    env_merge(out, *vars);
  }
  return out;
}

}  // namespace tend
