#include "log/console.h"

#include <fcntl.h>
#include <signal.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "log/flat_json_test_util.h"
#include "log/log_test_util.h"
#include "util/base64.h"

namespace tend {
namespace {

// A non-blocking pipe pair, closed on scope exit.
struct Pipe {
  Pipe() {
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
      fds[0] = fds[1] = -1;
    }
  }
  ~Pipe() {
    ::close(fds[0]);
    ::close(fds[1]);
  }
  int rd() const { return fds[0]; }
  int wr() const { return fds[1]; }
  int fds[2];
};

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    if (nl == std::string::npos) {
      out.push_back(s.substr(pos) + "<no newline>");
      break;
    }
    out.push_back(s.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

TEST(ConsoleMux, InterleavedChunksComeOutAsWholePrefixedLines) {
  Pipe out;
  Pipe err;
  ConsoleMux mux(out.wr(), err.wr());
  mux.write("web", Stream::Stdout, "GET /in");
  mux.write("worker", Stream::Stdout, "job 1 sta");
  mux.write("web", Stream::Stdout, "dex 200\nGET /fav");
  mux.write("worker", Stream::Stdout, "rted\njob 1 done\njob 2");
  mux.write("web", Stream::Stdout, "icon.ico 404\n");
  mux.flush("worker");
  EXPECT_EQ(split_lines(logtest::drain(out.rd())),
            (std::vector<std::string>{"web | GET /index 200", "worker | job 1 started", "worker | job 1 done",
                                      "web | GET /favicon.ico 404", "worker | job 2"}));
  EXPECT_EQ(logtest::drain(err.rd()), "");
  EXPECT_EQ(mux.dropped_lines(), 0);
}

TEST(ConsoleMux, StderrChannelGoesToErrFdWithItsOwnPartialBuffer) {
  Pipe out;
  Pipe err;
  ConsoleMux mux(out.wr(), err.wr());
  mux.write("app", Stream::Stdout, "out-a");
  mux.write("app", Stream::Stderr, "err-a");
  mux.write("app", Stream::Stdout, "\n");
  mux.write("app", Stream::Stderr, "\n");
  EXPECT_EQ(logtest::drain(out.rd()), "app | out-a\n");
  EXPECT_EQ(logtest::drain(err.rd()), "app | err-a\n");
}

TEST(ConsoleMux, EachLineIsOneWrite) {
  // A SOCK_SEQPACKET socket keeps write boundaries: one read returns one write.
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  ConsoleMux mux(sv[1], sv[1]);
  mux.write("a", Stream::Stdout, "one\ntw");
  mux.write("b", Stream::Stdout, "x\n");
  mux.write("a", Stream::Stdout, "o\nthree\n");
  ::close(sv[1]);
  std::vector<std::string> records;
  char buf[256];
  for (ssize_t n; (n = ::read(sv[0], buf, sizeof buf)) > 0;) {
    records.emplace_back(buf, static_cast<size_t>(n));
  }
  ::close(sv[0]);
  EXPECT_EQ(records, (std::vector<std::string>{"a | one\n", "b | x\n", "a | two\n", "a | three\n"}));
}

TEST(ConsoleMux, EmptyLinesAndPadding) {
  Pipe out;
  ConsoleMux mux(out.wr(), out.wr());
  mux.set_name_width(6);
  mux.write("db", Stream::Stdout, "\n\nx\n");
  mux.write("server", Stream::Stdout, "y\n");
  mux.write("longername", Stream::Stdout, "z\n");
  EXPECT_EQ(logtest::drain(out.rd()), "db     | \ndb     | \ndb     | x\nserver | y\nlongername | z\n");
}

TEST(ConsoleMux, LongPartialLineIsFlushedAtLimit) {
  Pipe out;
  ASSERT_GE(::fcntl(out.wr(), F_SETPIPE_SZ, 1 << 20), 0);
  ConsoleMux mux(out.wr(), out.wr());
  std::string big(ConsoleMux::k_max_partial + 100, 'x');
  // Arrives in small chunks with no newline.
  for (size_t i = 0; i < big.size(); i += 1000) {
    mux.write("p", Stream::Stdout, std::string_view(big).substr(i, 1000));
  }
  std::string got = logtest::drain(out.rd());
  EXPECT_EQ(got, "p | " + std::string(ConsoleMux::k_max_partial, 'x') + "\n");
  mux.write("p", Stream::Stdout, "end\n");
  EXPECT_EQ(logtest::drain(out.rd()), "p | " + std::string(100, 'x') + "end\n");
}

TEST(ConsoleMux, FlushAppendsNewlineAndIsIdempotent) {
  Pipe out;
  ConsoleMux mux(out.wr(), out.wr());
  mux.write("p", Stream::Stdout, "no newline at exit");
  EXPECT_EQ(logtest::drain(out.rd()), "");
  mux.flush("p");
  mux.flush("p");
  mux.flush("unknown");
  EXPECT_EQ(logtest::drain(out.rd()), "p | no newline at exit\n");
}

TEST(ConsoleMux, ForgetDropsPartialWithoutWriting) {
  Pipe out;
  ConsoleMux mux(out.wr(), out.wr());
  mux.write("p", Stream::Stdout, "half");
  mux.forget("p");
  mux.flush("p");
  EXPECT_EQ(logtest::drain(out.rd()), "");
}

TEST(ConsoleMux, FullNonBlockingPipeDropsWholeLinesAndCounts) {
  Pipe out;
  int size = ::fcntl(out.wr(), F_SETPIPE_SZ, 4096);
  ASSERT_GT(size, 0);
  ConsoleMux mux(out.wr(), out.wr());
  std::string line(99, 'L');
  line.push_back('\n');  // "p | " + 100 bytes = 104 per record
  for (int i = 0; i < 200; ++i) {
    mux.write("p", Stream::Stdout, line);
  }
  EXPECT_GT(mux.dropped_lines(), 0);
  std::string got = logtest::drain(out.rd());
  ASSERT_FALSE(got.empty());
  for (const std::string& l : split_lines(got)) {
    EXPECT_EQ(l, "p | " + std::string(99, 'L'));
  }
  EXPECT_EQ(static_cast<int64_t>(split_lines(got).size()) + mux.dropped_lines(), 200);
  // Once drained, lines flow again.
  mux.write("p", Stream::Stdout, "back\n");
  EXPECT_EQ(logtest::drain(out.rd()), "p | back\n");
}

// The records written to fd, parsed, without "ts" (checked for its form).
std::vector<FlatJson::Object> json_records(int fd) {
  std::vector<FlatJson::Object> out;
  for (const std::string& line : split_lines(logtest::drain(fd))) {
    std::optional<FlatJson::Object> obj = FlatJson::parse(line);
    EXPECT_TRUE(obj) << line;
    if (!obj) {
      continue;
    }
    EXPECT_EQ(obj->at("ts").size(), 24u) << obj->at("ts");
    EXPECT_EQ(obj->at("ts").back(), 'Z');
    obj->erase("ts");
    out.push_back(*obj);
  }
  return out;
}

// What the records stand for: their bytes, '\n' after each that is not partial.
std::string reassemble(const std::vector<FlatJson::Object>& records) {
  std::string out;
  for (const FlatJson::Object& r : records) {
    auto b64 = r.find("msg_b64");
    if (b64 == r.end()) {
      out += r.at("msg");
    } else {
      Result<std::string> raw = base64_decode(b64->second);
      out += raw.ok() ? *raw : "<bad base64>";
    }
    if (r.count("partial") == 0) {
      out += '\n';
    }
  }
  return out;
}

TEST(ConsoleMuxJson, OneRecordPerLineWithProgramStreamPidAndLevel) {
  Pipe out;
  Pipe err;
  ConsoleMux mux(out.wr(), err.wr());
  mux.set_format(ConsoleFormat::Json);
  mux.write("web:a", Stream::Stdout, "GET / 200\nhal", 41);
  mux.write("web:a", Stream::Stderr, "oops\n", 41);
  mux.write("web:a", Stream::Stdout, "f\n", 41);
  using O = FlatJson::Object;
  EXPECT_EQ(json_records(out.rd()),
            (std::vector<O>{
                O{{"level", "info"}, {"program", "web:a"}, {"stream", "stdout"}, {"pid", "41"}, {"msg", "GET / 200"}},
                O{{"level", "info"}, {"program", "web:a"}, {"stream", "stdout"}, {"pid", "41"}, {"msg", "half"}}}));
  EXPECT_EQ(json_records(err.rd()),
            (std::vector<O>{
                O{{"level", "error"}, {"program", "web:a"}, {"stream", "stderr"}, {"pid", "41"}, {"msg", "oops"}}}));
}

TEST(ConsoleMuxJson, CharacterSplitAcrossWritesComesOutWhole) {
  Pipe out;
  ConsoleMux mux(out.wr(), out.wr());
  mux.set_format(ConsoleFormat::Json);
  mux.write("p", Stream::Stdout, "caf\xC3", 1);
  mux.write("p", Stream::Stdout, "\xA9 \xF0\x9F", 1);
  mux.write("p", Stream::Stdout, "\x98\x80\n", 1);
  std::vector<FlatJson::Object> records = json_records(out.rd());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].at("msg"), "caf\xC3\xA9 \xF0\x9F\x98\x80");
  EXPECT_EQ(records[0].count("msg_b64"), 0u);
}

TEST(ConsoleMuxJson, LongLineIsCutIntoPartialRecordsAtCharacterBoundaries) {
  Pipe out;
  ASSERT_GE(::fcntl(out.wr(), F_SETPIPE_SZ, 1 << 20), 0);
  ConsoleMux mux(out.wr(), out.wr());
  mux.set_format(ConsoleFormat::Json);
  // 3-byte characters after one ASCII byte: the limit falls inside a character.
  std::string line = "x";
  while (line.size() < 3 * ConsoleMux::k_max_partial) {
    line += "\xE2\x82\xAC";
  }
  for (size_t i = 0; i < line.size(); i += 4093) {  // in odd-sized reads
    mux.write("p", Stream::Stdout, std::string_view(line).substr(i, 4093), 9);
  }
  mux.write("p", Stream::Stdout, "\nnext\n", 9);
  std::string text = logtest::drain(out.rd());
  for (const std::string& l : split_lines(text)) {
    EXPECT_LE(l.size() + 1, ConsoleMux::k_max_json_record);
  }
  std::vector<FlatJson::Object> records;
  for (const std::string& l : split_lines(text)) {
    records.push_back(FlatJson::parse(l).value_or(FlatJson::Object{}));
  }
  ASSERT_GE(records.size(), 4u);
  for (size_t i = 0; i + 1 < records.size(); ++i) {
    EXPECT_EQ(records[i].count("msg_b64"), 0u) << i;  // every piece is valid text
    EXPECT_EQ(records[i].count("partial"), i + 2 < records.size() ? 1u : 0u) << i;
  }
  EXPECT_EQ(reassemble(records), line + "\nnext\n");
}

TEST(ConsoleMuxJson, EscapesAndMsgB64NeverMakeARecordLongerThanTheLimit) {
  Pipe out;
  ASSERT_GE(::fcntl(out.wr(), F_SETPIPE_SZ, 1 << 20), 0);
  ConsoleMux mux(out.wr(), out.wr());
  mux.set_format(ConsoleFormat::Json);
  std::string controls(40000, '\x01');  // 6 bytes each in msg
  std::string junk;
  for (int i = 0; i < 40000; ++i) {
    junk.push_back(static_cast<char>(0x80 + i % 64));  // 3 bytes in msg, and msg_b64
  }
  mux.write("p", Stream::Stdout, controls + "\n" + junk + "\n", 1);
  std::string text = logtest::drain(out.rd());
  std::vector<FlatJson::Object> records;
  for (const std::string& l : split_lines(text)) {
    EXPECT_LE(l.size() + 1, ConsoleMux::k_max_json_record);
    std::optional<FlatJson::Object> obj = FlatJson::parse(l);
    ASSERT_TRUE(obj) << l.substr(0, 200);
    records.push_back(*obj);
  }
  EXPECT_EQ(reassemble(records), controls + "\n" + junk + "\n");
}

TEST(ConsoleMuxJson, InvalidBytesKeepTheirValueAndEofMarksTheLastLinePartial) {
  Pipe out;
  ConsoleMux mux(out.wr(), out.wr());
  mux.set_format(ConsoleFormat::Json);
  std::string junk("\x00\xFF\xFE\x1b[31m\"\\\xC3", 10);
  mux.write("p", Stream::Stdout, junk + "\n" + junk, 3);
  mux.flush("p", Stream::Stdout, 3);
  std::vector<FlatJson::Object> records = json_records(out.rd());
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].at("msg_b64"), base64_encode(junk));
  EXPECT_EQ(records[1].at("partial"), "true");
  EXPECT_EQ(reassemble(records), junk + "\n" + junk);
}

TEST(ConsoleMux, ClosedReaderCountsDropsInsteadOfFailing) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  ::close(fds[0]);
  ConsoleMux mux(fds[1], fds[1]);
  // SIGPIPE is ignored by the daemon; do the same here for the duration.
  struct sigaction ign {};
  struct sigaction old {};
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ign, &old);
  mux.write("p", Stream::Stdout, "lost\n");
  ::sigaction(SIGPIPE, &old, nullptr);
  EXPECT_EQ(mux.dropped_lines(), 1);
  ::close(fds[1]);
}

}  // namespace
}  // namespace tend
