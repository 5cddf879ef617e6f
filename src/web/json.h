// The little JSON the console needs: writing strings of arbitrary bytes
// (invalid UTF-8 becomes U+FFFD, never dropped; every control character is
// escaped, so an encoded value is always one line) and reading the flat
// object POST api/action sends.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "util/result.h"

namespace tend::web {

// Appends `bytes` as a JSON string literal, quotes included. '<', '>' and '&'
// are escaped too (\u003c ...), so the text is inert even if a browser were
// made to read it as HTML.
void append_json_string(std::string& out, std::string_view bytes);
std::string json_string(std::string_view bytes);

// Builds one JSON object: add members in order, then take str().
class JsonObject {
 public:
  JsonObject& str(std::string_view key, std::string_view value);
  JsonObject& num(std::string_view key, int64_t value);
  JsonObject& boolean(std::string_view key, bool value);
  // true, false or null.
  JsonObject& tristate(std::string_view key, std::optional<bool> value);
  // `json` must be a complete JSON value.
  JsonObject& raw(std::string_view key, std::string_view json);
  std::string take();

 private:
  void key(std::string_view k);
  std::string m_out = "{";
};

// A JSON object whose members are strings, numbers, booleans or null, as
// name -> text (strings decoded; others as written). Nested values, duplicate
// names and trailing bytes are errors ("unable to parse JSON: <reason>").
using FlatObject = std::unordered_map<std::string, std::string>;
Result<FlatObject> parse_flat_object(std::string_view text);

}  // namespace tend::web
