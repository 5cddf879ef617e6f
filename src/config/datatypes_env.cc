// parse_env(): supervisor's dict_of_key_value_pairs. It runs Python's shlex in
// its non-POSIX mode over the value and then takes tokens as "key = value"
// triples, skipping one token (meant to be the comma) after each triple
// without looking at it. We mirror that tokenizer exactly, because configs in
// the wild depend on its odd corners ('#' starts a comment, a character that
// is not a word character becomes a token of its own, and so on).
#include <fmt/format.h>

#include <deque>

#include "config/datatypes.h"
#include "config/unicode.h"

namespace tend {

namespace {

class Shlex {
 public:
  explicit Shlex(std::string_view text) : m_text(text) {}

  // Next token; "" at the end. Sets *error on an unterminated quote.
  std::string next(bool* error) {
    if (!m_pushback.empty()) {
      std::string tok = m_pushback.front();
      m_pushback.pop_front();
      return tok;
    }
    return read_token(error);
  }

 private:
  static bool is_word(std::string_view c) {
    if (c.size() != 1) {
      return false;
    }
    char ch = c[0];
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           std::string_view("_/.+-():").find(ch) != std::string_view::npos;
  }
  static bool is_ws(std::string_view c) { return c == " " || c == "\t" || c == "\r" || c == "\n"; }
  static bool is_quote(std::string_view c) { return c == "'" || c == "\""; }

  std::string_view read_char() {
    if (m_pos >= m_text.size()) {
      return {};
    }
    char32_t cp = 0;
    size_t n = unicode::decode(m_text, m_pos, &cp);
    n = n == 0 ? 1 : n;
    std::string_view c = m_text.substr(m_pos, n);
    m_pos += n;
    return c;
  }

  void skip_line() {
    size_t nl = m_text.find('\n', m_pos);
    m_pos = nl == std::string_view::npos ? m_text.size() : nl + 1;
  }

  std::string read_token(bool* error) {
    std::string token;
    while (true) {
      std::string_view c = read_char();
      if (m_state == State::Eof) {
        token.clear();
        break;
      }
      if (m_state == State::Space) {
        if (c.empty()) {
          m_state = State::Eof;
          break;
        }
        if (is_ws(c)) {
          if (!token.empty()) {
            break;
          }
        } else if (c == "#") {
          skip_line();
        } else if (is_word(c)) {
          token = c;
          m_state = State::Word;
        } else if (is_quote(c)) {
          token = c;
          m_quote = c[0];
          m_state = State::Quote;
        } else {
          token = c;
          break;
        }
      } else if (m_state == State::Quote) {
        if (c.empty()) {
          *error = true;
          return {};
        }
        token += c;
        if (c[0] == m_quote && c.size() == 1) {
          m_state = State::Space;
          break;
        }
      } else {  // State::Word
        if (c.empty()) {
          m_state = State::Eof;
          break;
        }
        if (is_ws(c)) {
          m_state = State::Space;
          if (!token.empty()) {
            break;
          }
        } else if (c == "#") {
          skip_line();
        } else if (is_word(c) || is_quote(c)) {
          token += c;
        } else {
          m_pushback.emplace_front(c);
          m_state = State::Space;
          if (!token.empty()) {
            break;
          }
        }
      }
    }
    return token;
  }

  enum class State { Space, Word, Quote, Eof };
  std::string_view m_text;
  size_t m_pos = 0;
  State m_state = State::Space;
  char m_quote = 0;
  std::deque<std::string> m_pushback;
};

std::string strip_quotes(const std::string& s) {
  size_t b = s.find_first_not_of("'\"");
  if (b == std::string::npos) {
    return {};
  }
  size_t e = s.find_last_not_of("'\"");
  return s.substr(b, e - b + 1);
}

}  // namespace

Result<EnvList> parse_env(std::string_view s) {
  Shlex lexer(s);
  std::vector<std::string> tokens;
  while (true) {
    bool error = false;
    std::string tok = lexer.next(&error);
    if (error) {
      return make_error(fmt::format("No closing quotation in value '{}'", s));
    }
    if (tok.empty()) {
      break;
    }
    tokens.push_back(std::move(tok));
  }
  EnvList env;
  for (size_t i = 0; i < tokens.size(); i += 4) {
    if (i + 3 > tokens.size() || tokens[i + 1] != "=") {
      return make_error(fmt::format("Unexpected end of key/value pairs in value '{}'", s));
    }
    std::string value = strip_quotes(tokens[i + 2]);
    bool replaced = false;
    for (auto& [k, v] : env) {  // a repeated key keeps its first position, like a dict
      if (k == tokens[i]) {
        v = value;
        replaced = true;
      }
    }
    if (!replaced) {
      env.emplace_back(tokens[i], std::move(value));
    }
  }
  return env;
}

}  // namespace tend
