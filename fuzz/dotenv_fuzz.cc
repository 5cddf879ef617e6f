// Feeds: arbitrary text as an environment_file= dotenv file (config/env_file.h).
// Asserts, beyond no crash, leak or UB:
//  - every key read follows rule 3 (a letter or '_', then letters, digits,
//    '_', '.', '-') and appears once (rule 9);
//  - rule 8: the input without its CRs reads the same with LF line ends as
//    with CR LF ones, error message included (the CRs are removed first
//    because rule 8 is one pass: "a\r\r\n" keeps one CR as data);
//  - an error names the source and a line: "fuzz.env:<n>: ...".
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "config/env_file.h"
#include "fuzz_check.h"

namespace {

bool valid_key(const std::string& k) {
  if (k.empty() || !(std::isalpha(static_cast<unsigned char>(k[0])) || k[0] == '_')) {
    return false;
  }
  for (char c : k) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) {
      return false;
    }
  }
  return true;
}

void validate(const tend::Result<tend::EnvList>& env) {
  if (!env.ok()) {
    const std::string& e = env.error();
    FUZZ_CHECK(e.rfind("fuzz.env:", 0) == 0);
    size_t digits = e.find_first_not_of("0123456789", 9);
    FUZZ_CHECK(digits > 9 && digits != std::string::npos && e[digits] == ':');
    return;
  }
  std::set<std::string> keys;
  for (const auto& [k, v] : *env) {
    FUZZ_CHECK(valid_key(k));
    FUZZ_CHECK(keys.insert(k).second);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  tend::Result<tend::EnvList> env = tend::parse_dotenv(text, "fuzz.env");
  validate(env);

  std::string lf;
  std::string crlf;
  for (char c : text) {
    if (c == '\n') {
      crlf += '\r';
    }
    if (c != '\r') {
      lf += c;
      crlf += c;
    }
  }
  tend::Result<tend::EnvList> env_lf = tend::parse_dotenv(lf, "fuzz.env");
  tend::Result<tend::EnvList> env_crlf = tend::parse_dotenv(crlf, "fuzz.env");
  FUZZ_CHECK(env_lf.ok() == env_crlf.ok());
  if (!env_lf.ok()) {
    FUZZ_CHECK(env_lf.error() == env_crlf.error());
  } else {
    FUZZ_CHECK(*env_lf == *env_crlf);
  }
  validate(env_lf);
  return 0;
}
