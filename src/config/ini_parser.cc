#include "config/ini_parser.h"

#include <fmt/format.h>

#include <map>

#include "config/unicode.h"
#include "util/io.h"

namespace tend {

const IniValue* IniSection::find(std::string_view key) const {
  for (const auto& [k, v] : entries) {
    if (k == key) {
      return &v;
    }
  }
  return nullptr;
}

void IniSection::set(const std::string& key, IniValue value) {
  for (auto& [k, v] : entries) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  entries.emplace_back(key, std::move(value));
}

namespace {

constexpr size_t k_none = std::string_view::npos;

// Splits text into lines the way Python's text mode does (\n, \r\n, \r).
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' || text[i] == '\r') {
      lines.push_back(text.substr(start, i - start));
      if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
        ++i;
      }
      start = i + 1;
    }
  }
  if (start < text.size()) {
    lines.push_back(text.substr(start));
  }
  return lines;
}

bool space_before(std::string_view line, size_t index) {
  // The code point ending at `index` (index > 0).
  for (size_t back = 1; back <= 4 && back <= index; ++back) {
    char32_t cp = 0;
    if (unicode::decode(line, index - back, &cp) == back) {
      return unicode::is_space(cp);
    }
  }
  return false;
}

// Where the comment on this line starts, or k_none. See rule 2 in the header.
size_t comment_start(std::string_view line) {
  std::string_view stripped = unicode::strip(line);
  if (!stripped.empty() && (stripped[0] == '#' || stripped[0] == ';')) {
    return 0;
  }
  const char prefixes[2] = {';', '#'};
  long index[2] = {-1, -1};
  bool alive[2] = {true, true};
  while (alive[0] || alive[1]) {
    size_t best = k_none;
    for (int p = 0; p < 2; ++p) {
      if (!alive[p]) {
        continue;
      }
      size_t found = line.find(prefixes[p], static_cast<size_t>(index[p] + 1));
      if (found == k_none) {
        alive[p] = false;
        continue;
      }
      index[p] = static_cast<long>(found);
      if (found == 0 || space_before(line, found)) {
        best = std::min(best, found);
      }
    }
    if (best != k_none) {
      return best;
    }
  }
  return k_none;
}

size_t indent_of(std::string_view line) {
  size_t count = 0;
  for (size_t i = 0; i < line.size(); ++count) {
    char32_t cp = 0;
    size_t n = unicode::decode(line, i, &cp);
    if (n == 0 || !unicode::is_space(cp)) {
      break;
    }
    i += n;
  }
  return count;
}

std::string shorten(std::string_view line) {
  std::string_view s = unicode::rstrip(line);
  if (s.size() > 80) {
    return unicode::repr(s.substr(0, unicode::offset_of(s, 77))) + "...";
  }
  return unicode::repr(s);
}

}  // namespace

IniSection* IniDocument::find_section(std::string_view name) {
  for (auto& s : m_sections) {
    if (s.name == name) {
      return &s;
    }
  }
  return nullptr;
}

const IniSection* IniDocument::section(std::string_view name) const {
  for (const auto& s : m_sections) {
    if (s.name == name) {
      return &s;
    }
  }
  return nullptr;
}

IniSection* IniDocument::open_section(const std::string& name, const SourcePos& pos) {
  if (name == k_default_section) {
    m_defaults.name = name;
    if (m_defaults.pos.line == 0) {
      m_defaults.pos = pos;
    }
    return &m_defaults;
  }
  if (IniSection* s = find_section(name)) {
    return s;
  }
  m_sections.push_back(IniSection{name, pos, {}});
  return &m_sections.back();
}

const IniValue* IniDocument::get(std::string_view section_name, std::string_view key) const {
  if (const IniSection* s = section(section_name)) {
    if (const IniValue* v = s->find(key)) {
      return v;
    }
  }
  return m_defaults.find(key);
}

std::vector<std::string> IniDocument::options(std::string_view section_name) const {
  std::vector<std::string> keys;
  const IniSection* s = section(section_name);
  if (s != nullptr) {
    for (const auto& [k, v] : s->entries) {
      keys.push_back(k);
    }
  }
  for (const auto& [k, v] : m_defaults.entries) {
    if (s == nullptr || s->find(k) == nullptr) {
      keys.push_back(k);
    }
  }
  return keys;
}

void IniDocument::expand_here(const std::string& here) {
  static constexpr std::string_view k_marker = "%(here)s";
  for (auto& sec : m_sections) {
    for (const std::string& key : options(sec.name)) {
      IniValue v = *get(sec.name, key);
      if (v.value.find(k_marker) == std::string::npos) {
        continue;
      }
      std::string out;
      size_t pos = 0;
      for (size_t hit; (hit = v.value.find(k_marker, pos)) != std::string::npos;) {
        out.append(v.value, pos, hit - pos);
        out += here;
        pos = hit + k_marker.size();
      }
      out.append(v.value, pos);
      v.value = std::move(out);
      sec.set(key, std::move(v));
    }
  }
}

Status IniDocument::read_file(const std::string& path) {
  Result<std::string> text = read_whole_file(path);
  if (!text) {
    return make_error(fmt::format("{}: unable to read config file: {}", path, text.error()));
  }
  return read_string(*text, path);
}

Status IniDocument::read_string(std::string_view text, const std::string& source) {
  if (size_t bad = unicode::invalid_offset(text); bad != k_none) {
    int line = 1;
    for (size_t i = 0; i < bad; ++i) {
      line += (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n')));
    }
    return make_error(fmt::format("{}:{}: not valid UTF-8 text", source, line));
  }
  // Values of keys assigned in this read, still as lists of lines.
  // Keyed by section name: IniSection addresses change as m_sections grows.
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> pending;
  IniSection* cursect = nullptr;  // re-resolved after every header
  std::string optname;  // empty: no key to continue
  size_t indent_level = 0;
  int lineno = 0;
  for (std::string_view line : split_lines(text)) {
    ++lineno;
    size_t cstart = comment_start(line);
    std::string_view value = unicode::strip(line.substr(0, cstart == k_none ? line.size() : cstart));
    if (value.empty()) {
      if (cstart == k_none && cursect != nullptr && !optname.empty()) {
        pending[{cursect->name, optname}].emplace_back();
      }
      continue;
    }
    size_t cur_indent = indent_of(line);
    if (cursect != nullptr && !optname.empty() && cur_indent > indent_level) {
      pending[{cursect->name, optname}].emplace_back(value);
      continue;
    }
    indent_level = cur_indent;
    SourcePos pos{source, lineno};
    size_t close = value.rfind(']');
    if (value[0] == '[' && close != k_none && close >= 2) {
      std::string name(value.substr(1, close - 1));
      cursect = open_section(name, pos);
      optname.clear();
      continue;
    }
    if (cursect == nullptr) {
      return make_error(fmt::format("{}:{}: key outside of any section (no [section] header before it): {}",
                                    source, lineno, shorten(line)));
    }
    size_t delim = value.find_first_of("=:");
    std::string_view key = delim == k_none ? std::string_view() : unicode::rstrip(value.substr(0, delim));
    if (delim == k_none || key.empty()) {
      return make_error(fmt::format(
          "{}:{}: cannot parse line (expected 'key = value', '[section]' or a comment): {}",
          source, lineno, shorten(line)));
    }
    optname = unicode::lower(key);
    std::string_view val = unicode::strip(value.substr(delim + 1));
    cursect->set(optname, IniValue{std::string(val), pos});
    pending[{cursect->name, optname}] = {std::string(val)};
  }
  for (auto& [k, lines] : pending) {
    std::string joined;
    for (size_t i = 0; i < lines.size(); ++i) {
      if (i > 0) {
        joined += '\n';
      }
      joined += lines[i];
    }
    IniSection* sec = k.first == k_default_section ? &m_defaults : find_section(k.first);
    IniValue v = *sec->find(k.second);
    v.value = std::string(unicode::rstrip(joined));
    sec->set(k.second, std::move(v));
  }
  return ok_status();
}

}  // namespace tend
