// Feeds: arbitrary text to the INI parser (IniDocument::read_string), as a
// configuration file's bytes.
// Asserts, beyond no crash, leak or UB:
//  - parsing is deterministic (two documents from the same text are equal);
//  - the text with every line end (CR LF, lone CR) written as LF parses to
//    the same document (rule 1 of config/ini_parser.h);
//  - the document's invariants: DEFAULT is never among sections(), section
//    names and the keys of a section are unique, keys are lower-case ASCII
//    where ASCII, and get() finds each key's own value.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "config/ini_parser.h"
#include "fuzz_check.h"

namespace {

bool same_section(const tend::IniSection& a, const tend::IniSection& b) {
  if (a.name != b.name || a.entries.size() != b.entries.size()) {
    return false;
  }
  for (size_t i = 0; i < a.entries.size(); ++i) {
    if (a.entries[i].first != b.entries[i].first || a.entries[i].second.value != b.entries[i].second.value) {
      return false;
    }
  }
  return true;
}

bool same_document(const tend::IniDocument& a, const tend::IniDocument& b) {
  if (!same_section(a.defaults(), b.defaults()) || a.sections().size() != b.sections().size()) {
    return false;
  }
  for (size_t i = 0; i < a.sections().size(); ++i) {
    if (!same_section(a.sections()[i], b.sections()[i])) {
      return false;
    }
  }
  return true;
}

void check_section(const tend::IniDocument& doc, const tend::IniSection& s) {
  std::set<std::string> keys;
  for (const auto& [key, value] : s.entries) {
    FUZZ_CHECK(keys.insert(key).second);
    for (char c : key) {
      FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));
    }
    if (&s != &doc.defaults()) {
      const tend::IniValue* found = doc.get(s.name, key);
      FUZZ_CHECK(found != nullptr && found->value == value.value);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  tend::IniDocument doc;
  tend::Status st = doc.read_string(text, "fuzz.conf");

  tend::IniDocument again;
  tend::Status st_again = again.read_string(text, "fuzz.conf");
  FUZZ_CHECK(st.ok() == st_again.ok());
  FUZZ_CHECK(same_document(doc, again));

  std::string lf;
  lf.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      lf += '\n';
      i += i + 1 < text.size() && text[i + 1] == '\n' ? 1 : 0;
    } else {
      lf += text[i];
    }
  }
  tend::IniDocument unix_doc;
  tend::Status st_lf = unix_doc.read_string(lf, "fuzz.conf");
  FUZZ_CHECK(st.ok() == st_lf.ok());
  if (st.ok()) {
    FUZZ_CHECK(same_document(doc, unix_doc));
  }

  std::set<std::string> names;
  for (const tend::IniSection& s : doc.sections()) {
    FUZZ_CHECK(s.name != tend::IniDocument::k_default_section);
    FUZZ_CHECK(names.insert(s.name).second);
    check_section(doc, s);
  }
  check_section(doc, doc.defaults());
  return 0;
}
