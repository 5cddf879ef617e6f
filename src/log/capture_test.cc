#include "log/capture.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tend {
namespace {

const std::string k_b(CaptureScanner::k_begin);
const std::string k_e(CaptureScanner::k_end);

// What a scanner produced, adjacent pieces of one kind joined (where a chunk
// boundary cuts a piece in two is not part of the contract): "T:<text>",
// "C:<captured>", "END".
class Recorder final : public CaptureSink {
 public:
  void text(std::string_view data) override { add('T', data); }
  void captured(std::string_view data) override { add('C', data); }
  void block_end() override { out.emplace_back("END"); }

  std::vector<std::string> out;

 private:
  void add(char kind, std::string_view data) {
    EXPECT_FALSE(data.empty()) << "pieces are never empty";
    std::string prefix = std::string(1, kind) + ":";
    if (!out.empty() && out.back().rfind(prefix, 0) == 0) {
      out.back().append(data);
    } else {
      out.push_back(prefix + std::string(data));
    }
  }
};

std::vector<std::string> scan_chunks(const std::vector<std::string>& chunks) {
  CaptureScanner s;
  Recorder r;
  for (const std::string& c : chunks) {
    s.feed(c, r);
  }
  s.finish(r);
  return r.out;
}

struct Case {
  const char* name;
  std::string stream;
  std::vector<std::string> expected;
};

const std::vector<Case>& cases() {
  static const std::vector<Case> k_cases = {
      {"both_tokens", "before" + k_b + "inside" + k_e + "after\n", {"T:before", "C:inside", "END", "T:after\n"}},
      {"empty_block", k_b + k_e, {"END"}},
      {"only_block", k_b + "x" + k_e, {"C:x", "END"}},
      {"two_blocks", k_b + "1" + k_e + "mid" + k_b + "2" + k_e + "end", {"C:1", "END", "T:mid", "C:2", "END", "T:end"}},
      {"end_outside_is_text", "x" + k_e + "y", {"T:x" + k_e + "y"}},
      {"begin_inside_is_data", k_b + "a" + k_b + "b" + k_e, {"C:a" + k_b + "b", "END"}},
      {"unterminated_block", "a" + k_b + "bc", {"T:a", "C:bc"}},
      {"partial_begin_at_eof", "tail<!--XSUPERVISOR:BEGI", {"T:tail<!--XSUPERVISOR:BEGI"}},
      {"partial_end_at_eof", k_b + "x<!--XSUPERVISOR:EN", {"C:x<!--XSUPERVISOR:EN"}},
      {"false_start_then_token", "<<!--" + k_b + "z" + k_e, {"T:<<!--", "C:z", "END"}},
      {"repeated_prefix", "<!--XSUPERVISOR:<!--XSUPERVISOR:BEGIN-->q" + k_e,
       {"T:<!--XSUPERVISOR:", "C:q", "END"}},
      {"no_tokens", "plain text, no markers <!-- html comment -->\n", {"T:plain text, no markers <!-- html comment -->\n"}},
      {"back_to_back", k_b + k_e + k_b + k_e, {"END", "END"}},
  };
  return k_cases;
}

TEST(CaptureScanner, WholeStreamInOneChunk) {
  for (const Case& c : cases()) {
    EXPECT_EQ(scan_chunks({c.stream}), c.expected) << c.name;
  }
}

TEST(CaptureScanner, EverySplitIntoTwoChunks) {
  for (const Case& c : cases()) {
    for (size_t i = 0; i <= c.stream.size(); ++i) {
      EXPECT_EQ(scan_chunks({c.stream.substr(0, i), c.stream.substr(i)}), c.expected) << c.name << " split at " << i;
    }
  }
}

TEST(CaptureScanner, EverySplitIntoThreeChunks) {
  for (const Case& c : cases()) {
    for (size_t i = 0; i <= c.stream.size(); ++i) {
      for (size_t j = i; j <= c.stream.size(); ++j) {
        std::vector<std::string> chunks = {c.stream.substr(0, i), c.stream.substr(i, j - i), c.stream.substr(j)};
        EXPECT_EQ(scan_chunks(chunks), c.expected) << c.name << " split at " << i << ", " << j;
      }
    }
  }
}

TEST(CaptureScanner, OneByteReads) {
  for (const Case& c : cases()) {
    std::vector<std::string> bytes;
    for (char ch : c.stream) {
      bytes.emplace_back(1, ch);
    }
    EXPECT_EQ(scan_chunks(bytes), c.expected) << c.name;
  }
}

TEST(CaptureScanner, TextThatCannotStartATokenIsPassedOnAtOnce) {
  // supervisord would hold all of these back (they are no longer than a token).
  CaptureScanner s;
  Recorder r;
  s.feed("ok\n", r);
  EXPECT_EQ(r.out, std::vector<std::string>{"T:ok\n"});
  EXPECT_EQ(s.held(), "");
  s.feed("a<b\n", r);
  EXPECT_EQ(r.out, std::vector<std::string>{"T:ok\na<b\n"});
}

TEST(CaptureScanner, HoldsOnlyAPossibleTokenStart) {
  CaptureScanner s;
  Recorder r;
  s.feed("abc<!--XSUP", r);
  EXPECT_EQ(r.out, std::vector<std::string>{"T:abc"});
  EXPECT_EQ(s.held(), "<!--XSUP");
  s.feed("X", r);  // not a token after all: everything is text
  EXPECT_EQ(r.out, std::vector<std::string>{"T:abc<!--XSUPX"});
  EXPECT_EQ(s.held(), "");
  s.feed(k_b + "in<", r);  // inside a block, END is looked for
  EXPECT_EQ(s.held(), "<");
  EXPECT_TRUE(s.in_block());
  s.finish(r);
  EXPECT_EQ(r.out, (std::vector<std::string>{"T:abc<!--XSUPX", "C:in<"}));
  EXPECT_EQ(s.held(), "");
}

TEST(CaptureScanner, HeldBytesNeverReachATokenLength) {
  CaptureScanner s;
  Recorder r;
  std::string almost = k_b.substr(0, k_b.size() - 1);
  s.feed(almost, r);
  EXPECT_EQ(s.held(), almost);
  s.feed(almost, r);  // the first copy cannot start the token any more
  EXPECT_EQ(s.held(), almost);
  EXPECT_EQ(r.out, std::vector<std::string>{"T:" + almost});
}

TEST(CaptureScanner, ResetLeavesABlock) {
  CaptureScanner s;
  Recorder r;
  s.feed(k_b + "x<!--", r);
  ASSERT_TRUE(s.in_block());
  s.reset();
  EXPECT_FALSE(s.in_block());
  EXPECT_EQ(s.held(), "");
  s.feed(k_e, r);
  EXPECT_EQ(r.out, (std::vector<std::string>{"C:x", "T:" + k_e}));
}

TEST(CaptureBuffer, KeepsTheNewestMaxbytes) {
  CaptureBuffer b(5);
  b.append("ab");
  b.append("cd");
  EXPECT_EQ(b.view(), "abcd");
  b.append("efg");
  EXPECT_EQ(b.view(), "cdefg");
  b.append("0123456789");  // more than the limit in one piece
  EXPECT_EQ(b.view(), "56789");
  b.clear();
  EXPECT_EQ(b.view(), "");
}

TEST(CaptureBuffer, ManySmallAppendsStayBounded) {
  CaptureBuffer b(7);
  std::string all;
  for (int i = 0; i < 1000; ++i) {
    std::string piece = std::to_string(i);
    b.append(piece);
    all += piece;
    ASSERT_EQ(b.view(), all.substr(all.size() > 7 ? all.size() - 7 : 0)) << i;
  }
}

TEST(CaptureBuffer, ZeroKeepsNothing) {
  CaptureBuffer b(0);
  b.append("x");
  EXPECT_EQ(b.view(), "");
}

}  // namespace
}  // namespace tend
