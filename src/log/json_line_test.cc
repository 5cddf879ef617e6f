#include "log/json_line.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "log/flat_json_test_util.h"
#include "util/base64.h"
#include "util/utf8.h"

namespace tend {
namespace {

using namespace std::chrono;

system_clock::time_point at_ms(int64_t ms) { return system_clock::time_point(milliseconds(ms)); }

// The record of msg, parsed; fails the test when it is not one valid line.
FlatJson::Object record_of(std::string_view msg, bool partial = false) {
  std::string line;
  append_json_record(line, JsonRecord{.ts = at_ms(0), .level = "info", .program = "p", .stream = Stream::Stdout,
                                      .pid = 7, .msg = msg, .partial = partial});
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  std::optional<FlatJson::Object> obj = FlatJson::parse(std::string_view(line).substr(0, line.size() - 1));
  EXPECT_TRUE(obj) << line;
  return obj.value_or(FlatJson::Object{});
}

// The bytes a record stands for, by the rule in json_line.h.
std::string bytes_of(const FlatJson::Object& obj) {
  auto b64 = obj.find("msg_b64");
  if (b64 != obj.end()) {
    Result<std::string> raw = base64_decode(b64->second);
    EXPECT_TRUE(raw.ok());
    return raw.ok() ? *raw : "";
  }
  return obj.at("msg");
}

TEST(JsonLine, TimestampIsUtcRfc3339WithMilliseconds) {
  EXPECT_EQ(format_rfc3339_ms(at_ms(0)), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339_ms(at_ms(1796396645123)), "2026-12-04T15:04:05.123Z");
  EXPECT_EQ(format_rfc3339_ms(at_ms(-1)), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339_ms(at_ms(1796396645123) + microseconds(999)), "2026-12-04T15:04:05.123Z");
}

TEST(JsonLine, RecordHasTheFieldsInOrderAndLeavesOutWhatIsUnknown) {
  std::string line;
  append_json_record(line, JsonRecord{.ts = at_ms(1796396645123), .level = "error", .program = "web:a",
                                      .stream = Stream::Stderr, .pid = 42, .msg = "boom \"x\""});
  EXPECT_EQ(line,
            "{\"ts\":\"2026-12-04T15:04:05.123Z\",\"level\":\"error\",\"program\":\"web:a\",\"stream\":\"stderr\","
            "\"pid\":42,\"msg\":\"boom \\\"x\\\"\"}\n");
  line.clear();
  JsonRecord own;
  own.ts = at_ms(0);
  own.level = "warn";
  own.msg = "tend's own";
  own.partial = true;
  append_json_record(line, own);
  EXPECT_EQ(line, "{\"ts\":\"1970-01-01T00:00:00.000Z\",\"level\":\"warn\",\"msg\":\"tend's own\",\"partial\":true}\n");
}

TEST(JsonLine, ControlCharactersAndLineSeparatorsAreEscaped) {
  std::string out;
  EXPECT_TRUE(append_json_string(out, std::string("a\0b\x01\x1f\x7f\t\r\n\b\f\\/", 13)));
  EXPECT_EQ(out, "\"a\\u0000b\\u0001\\u001f\x7f\\t\\r\\n\\b\\f\\\\/\"");
  out.clear();
  EXPECT_TRUE(append_json_string(out, "x\xE2\x80\xA8y\xE2\x80\xA9z"));
  EXPECT_EQ(out, "\"x\\u2028y\\u2029z\"");
}

TEST(JsonLine, ValidUtf8IsKeptAsItIs) {
  std::string text = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xEF\xBF\xBD \xF4\x8F\xBF\xBF";
  FlatJson::Object obj = record_of(text);
  EXPECT_EQ(obj.at("msg"), text);
  EXPECT_EQ(obj.count("msg_b64"), 0u);
}

// One U+FFFD per maximal subpart, as Python and browsers decode (util/utf8.h).
TEST(JsonLine, EachInvalidSequenceBecomesOneReplacementAndTheBytesGoToMsgB64) {
  struct Case {
    std::string in;
    std::string msg;
  };
  const std::string r = "\xEF\xBF\xBD";
  for (const Case& c : std::vector<Case>{
           {"a\xFF" "b", "a" + r + "b"},
           {"\xC0\xAF", r + r},                              // overlong '/'
           {"\xED\xA0\x80", r + r + r},                      // a surrogate
           {"\xF4\x90\x80\x80", r + r + r + r},              // above U+10FFFF
           {"\xE2\x82", r},                                  // cut short at the end
           {"\xE2\x82" "A", r + "A"},                        // cut short before ASCII
           {"\x80", r},                                      // lone continuation
       }) {
    FlatJson::Object obj = record_of(c.in);
    EXPECT_EQ(obj.at("msg"), c.msg) << testing::PrintToString(c.in);
    EXPECT_EQ(obj.at("msg_b64"), base64_encode(c.in));
    EXPECT_EQ(bytes_of(obj), c.in);
  }
}

TEST(JsonLine, RandomBytesAlwaysGiveOneValidLineThatKeepsEveryByte) {
  std::mt19937 rng(12345);
  // Bytes weighted toward the interesting ones: controls, quotes, leads, continuations.
  const std::string pool = std::string("\0\x01\x1f \"\\/\n\r\tAz\x7f", 13) +
                           "\x80\xBF\xC0\xC1\xC2\xDF\xE0\xE2\xED\xEF\xF0\xF4\xF5\xFF\xA0\x9F\x8F\x90";
  std::uniform_int_distribution<int> any_byte(0, 255);
  std::uniform_int_distribution<size_t> from_pool(0, pool.size() - 1);
  std::uniform_int_distribution<size_t> length(0, 64);
  for (int round = 0; round < 20000; ++round) {
    std::string in;
    size_t n = length(rng);
    for (size_t k = 0; k < n; ++k) {
      in.push_back(round % 2 == 0 ? static_cast<char>(any_byte(rng)) : pool[from_pool(rng)]);
    }
    FlatJson::Object obj = record_of(in, round % 3 == 0);
    ASSERT_FALSE(obj.empty()) << testing::PrintToString(in);
    EXPECT_EQ(bytes_of(obj), in);
    EXPECT_TRUE(FlatJson::valid_utf8(obj.at("msg")));
    EXPECT_EQ(obj.count("msg_b64") == 0, FlatJson::valid_utf8(in)) << testing::PrintToString(in);
    EXPECT_EQ(obj.count("partial") == 1, round % 3 == 0);
  }
}

TEST(JsonLine, CompletePrefixStopsBeforeACharacterCutShort) {
  EXPECT_EQ(utf8_complete_prefix(""), 0u);
  EXPECT_EQ(utf8_complete_prefix("abc"), 3u);
  EXPECT_EQ(utf8_complete_prefix("ab\xC3"), 2u);
  EXPECT_EQ(utf8_complete_prefix("ab\xC3\xA9"), 4u);
  EXPECT_EQ(utf8_complete_prefix("a\xE2\x82"), 1u);
  EXPECT_EQ(utf8_complete_prefix("a\xE2\x82\xAC"), 4u);
  EXPECT_EQ(utf8_complete_prefix("a\xF0\x9F\x98"), 1u);
  EXPECT_EQ(utf8_complete_prefix("\xF0\x9F"), 0u);
  // Not the start of a valid sequence: nothing to wait for.
  EXPECT_EQ(utf8_complete_prefix("a\xFF"), 2u);
  EXPECT_EQ(utf8_complete_prefix("a\xE0\x80"), 3u);  // overlong
  EXPECT_EQ(utf8_complete_prefix("a\xED\xA0"), 3u);  // surrogate
  EXPECT_EQ(utf8_complete_prefix("a\x80\x80\x80"), 4u);
}

}  // namespace
}  // namespace tend
