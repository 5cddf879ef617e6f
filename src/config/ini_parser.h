// A parser for the INI dialect supervisord reads: Python 3.11's
// configparser.RawConfigParser(inline_comment_prefixes=(';', '#'), strict=False)
// reproduced rule for rule. The rules, in the order they apply to a line:
//  1. CR LF and lone CR end a line too (Python's universal newlines).
//  2. A line whose stripped text starts with '#' or ';' is a comment. Otherwise
//     ';' or '#' starts an inline comment only at column 0 or right after a
//     whitespace character. Candidates are searched in rounds, one occurrence
//     of each prefix per round, and the first round with a hit decides (this
//     is how Python does it, and it can skip an earlier '#' after a word).
//  3. An empty line (after removing a comment) adds an empty line to the value
//     being continued, unless the line held a comment; it never ends a value.
//  4. A line indented deeper (counted in code points) than the line that began
//     the current key continues that key's value.
//  5. "[name]" (up to the last ']') starts or re-opens a section; "DEFAULT"
//     holds keys every section inherits.
//  6. Otherwise the first '=' or ':' splits key from value; keys are stripped
//     and lower-cased, values stripped (Unicode whitespace as str.strip()).
//  7. Multi-line values are joined with '\n' and trailing whitespace dropped.
// A repeated section merges into the first; a repeated key replaces the old
// value (keeping its position in the key order).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/model.h"
#include "util/result.h"

namespace tend {

struct IniValue {
  std::string value;
  SourcePos pos;  // the line of the key
};

struct IniSection {
  std::string name;
  SourcePos pos;  // the header that first created the section
  std::vector<std::pair<std::string, IniValue>> entries;  // in first-seen order

  const IniValue* find(std::string_view key) const;
  void set(const std::string& key, IniValue value);
};

class IniDocument {
 public:
  static constexpr const char* k_default_section = "DEFAULT";

  // Parses a file (or text) and merges it into the document. On error the
  // document may hold part of the input. Errors read "<file>:<line>: <what>".
  Status read_file(const std::string& path);
  Status read_string(std::string_view text, const std::string& source_name);

  // Sections in first-seen order, without DEFAULT.
  const std::vector<IniSection>& sections() const { return m_sections; }
  const IniSection& defaults() const { return m_defaults; }
  const IniSection* section(std::string_view name) const;
  bool has_section(std::string_view name) const { return section(name) != nullptr; }

  // A key of a section, falling back to DEFAULT; nullptr when neither has it.
  const IniValue* get(std::string_view section, std::string_view key) const;
  // The section's own keys, then DEFAULT's keys it does not override.
  std::vector<std::string> options(std::string_view section) const;

  // supervisor's expand_here: every value visible in a section (DEFAULT
  // included) that contains the literal text "%(here)s" gets it replaced by
  // `here` and is stored in that section.
  void expand_here(const std::string& here);

 private:
  IniSection* find_section(std::string_view name);
  IniSection* open_section(const std::string& name, const SourcePos& pos);

  std::vector<IniSection> m_sections;
  IniSection m_defaults;
};

}  // namespace tend
