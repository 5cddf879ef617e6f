#include "events/listener_protocol.h"

#include <gtest/gtest.h>

namespace tend::events {
namespace {

using S = ListenerState;
using I = ProtocolInput;
using O = Outcome;

struct Harness {
  std::vector<std::string> warnings;  // WARN and above, as logged
  std::vector<std::string> bodies;    // what the handler saw
  Verdict verdict = Verdict::Accepted;
  ListenerProtocol proto{"lsn",
                         [this](std::string_view body) {
                           bodies.emplace_back(body);
                           return verdict;
                         },
                         [this](Level l, const std::string& m) {
                           if (l >= Level::Warn) {
                             warnings.push_back(m);
                           }
                         }};

  // Brings the protocol to `s` the way a listener would.
  void enter(S s) {
    proto.reset();
    if (s == S::Acknowledged) {
      return;
    }
    proto.feed("READY\n");
    if (s == S::Busy) {
      proto.sent();
    } else if (s == S::Unknown) {
      proto.feed("x");
    }
    warnings.clear();
  }
};

constexpr const char* k_unknown_line =
    "lsn: has entered the UNKNOWN state and will no longer receive events, this usually indicates the process "
    "violated the eventlistener protocol";

struct Cell {
  S state;
  I input;
  S after;
  std::vector<O> outcomes;
  std::vector<std::string> warnings;
};

// One case per cell of k_table.
std::vector<Cell> cells() {
  const std::string unk = k_unknown_line;
  std::vector<Cell> c;
  for (S s : {S::Acknowledged, S::Ready, S::Busy, S::Unknown}) {
    for (int i = 0; i < k_protocol_inputs; ++i) {
      c.push_back({s, static_cast<I>(i), s, {}, {}});  // ignored unless listed below
    }
  }
  auto set = [&](S s, I i, S after, std::vector<O> o, std::vector<std::string> w) {
    c[static_cast<size_t>(s) * k_protocol_inputs + static_cast<size_t>(i)] = {s, i, after, std::move(o), std::move(w)};
  };
  set(S::Acknowledged, I::ReadyToken, S::Ready, {O::Ready}, {});
  set(S::Acknowledged, I::BadToken, S::Unknown, {}, {unk});
  set(S::Ready, I::Output, S::Unknown, {}, {unk});
  set(S::Ready, I::Sent, S::Busy, {}, {});
  set(S::Busy, I::BadResultLine, S::Unknown, {O::Rejected}, {"lsn: bad result line: ''", unk});
  set(S::Busy, I::BodyAccepted, S::Acknowledged, {O::Done}, {});
  set(S::Busy, I::BodyRejected, S::Acknowledged, {O::Rejected}, {"lsn: event was rejected"});
  set(S::Busy, I::BodyError, S::Unknown, {O::Rejected}, {"lsn: event caused an error", unk});
  return c;
}

class ProtocolTableTest : public ::testing::TestWithParam<Cell> {};

TEST_P(ProtocolTableTest, Cell) {
  const Cell& c = GetParam();
  Harness h;
  h.enter(c.state);
  ASSERT_EQ(h.proto.state(), c.state);
  EXPECT_EQ(h.proto.apply(c.input), c.outcomes);
  EXPECT_EQ(h.proto.state(), c.after);
  EXPECT_EQ(h.warnings, c.warnings);
}

std::string cell_name(const ::testing::TestParamInfo<Cell>& info) {
  static const char* const inputs[] = {"ReadyToken",    "BadToken",     "Output",       "Sent",     "ResultLine",
                                       "BadResultLine", "BodyAccepted", "BodyRejected", "BodyError"};
  return std::string(listener_state_name(info.param.state)) + "_" + inputs[static_cast<int>(info.param.input)];
}

INSTANTIATE_TEST_SUITE_P(EveryCell, ProtocolTableTest, ::testing::ValuesIn(cells()), cell_name);

// --- the byte stream ------------------------------------------------------------------

// A listener writes in turns: it answers only after it got an event. Each
// turn is fed whole, or one byte at a time: the outcomes must agree.
struct Transcript {
  std::vector<O> outcomes;
  S state;
  std::vector<std::string> bodies;
  std::vector<std::string> warnings;
};

Transcript run(const std::vector<std::string>& turns, bool bytewise, bool send_after_ready = true,
               Verdict verdict = Verdict::Accepted) {
  Harness h;
  h.verdict = verdict;
  Transcript r;
  auto feed = [&](std::string_view chunk) {
    for (O o : h.proto.feed(chunk)) {
      r.outcomes.push_back(o);
      if (o == O::Ready && send_after_ready) {
        h.proto.sent();  // the pool answers a READY with an event at once
      }
    }
  };
  for (const std::string& text : turns) {
    if (bytewise) {
      for (char c : text) {
        feed(std::string_view(&c, 1));
      }
    } else {
      feed(text);
    }
  }
  r.state = h.proto.state();
  r.bodies = h.bodies;
  r.warnings = h.warnings;
  return r;
}

TEST(ListenerProtocol, ConversationsAgreeWholeAndByteByByte) {
  struct Case {
    const char* name;
    std::vector<std::string> turns;
    std::vector<O> outcomes;
    S state;
    std::vector<std::string> bodies;
  };
  const Case cases[] = {
      {"ready", {"READY\n"}, {O::Ready}, S::Busy, {}},
      {"ok", {"READY\n", "RESULT 2\nOK"}, {O::Ready, O::Done}, S::Acknowledged, {"OK"}},
      {"ok_then_ready", {"READY\n", "RESULT 2\nOKREADY\n"}, {O::Ready, O::Done, O::Ready}, S::Busy, {"OK"}},
      {"two_events", {"READY\n", "RESULT 2\nOKREADY\n", "RESULT 2\nOK"}, {O::Ready, O::Done, O::Ready, O::Done},
       S::Acknowledged, {"OK", "OK"}},
      {"fail", {"READY\n", "RESULT 4\nFAIL"}, {O::Ready, O::Done}, S::Acknowledged, {"FAIL"}},
      {"body_with_newlines", {"READY\n", "RESULT 5\na\nb\nc"}, {O::Ready, O::Done}, S::Acknowledged, {"a\nb\nc"}},
      {"prefix_not_checked", {"READY\n", "XXXXXXX2\nOK"}, {O::Ready, O::Done}, S::Acknowledged, {"OK"}},
      {"python_int", {"READY\n", "RESULT  +0_2 \nOK"}, {O::Ready, O::Done}, S::Acknowledged, {"OK"}},
      {"empty_body", {"READY\n", "RESULT 0\n"}, {O::Ready, O::Done}, S::Acknowledged, {""}},
      {"bad_result", {"READY\n", "RESULT two\nOK"}, {O::Ready, O::Rejected}, S::Unknown, {}},
      {"short_line", {"READY\n", "OK\n"}, {O::Ready, O::Rejected}, S::Unknown, {}},
      {"garbage_first", {"HELLO!READY\n"}, {}, S::Unknown, {}},
      {"partial_ready", {"READY"}, {}, S::Acknowledged, {}},
      // Writing before being sent anything breaks the protocol.
      {"result_too_early", {"READY\nRESULT 2\nOK"}, {O::Ready}, S::Unknown, {}},
  };
  for (const Case& c : cases) {
    for (bool bytewise : {false, true}) {
      Transcript r = run(c.turns, bytewise);
      if (std::string(c.name) == "result_too_early" && bytewise) {
        continue;  // byte by byte, the event is sent before the rest arrives
      }
      EXPECT_EQ(r.outcomes, c.outcomes) << c.name << (bytewise ? " bytewise" : "");
      EXPECT_EQ(r.state, c.state) << c.name << (bytewise ? " bytewise" : "");
      EXPECT_EQ(r.bodies, c.bodies) << c.name << (bytewise ? " bytewise" : "");
    }
  }
}

TEST(ListenerProtocol, OutputWhileReadyIsAViolation) {
  Transcript r = run({"READY\nREADY\n"}, false, /*send_after_ready=*/false);
  EXPECT_EQ(r.outcomes, (std::vector<O>{O::Ready}));
  EXPECT_EQ(r.state, S::Unknown);
  EXPECT_EQ(r.warnings, (std::vector<std::string>{k_unknown_line}));
}

TEST(ListenerProtocol, BadResultLineIsLoggedAsSupervisordDoes) {
  Transcript r = run({"READY\n", "RESULT x\n"}, false);
  EXPECT_EQ(r.warnings, (std::vector<std::string>{"lsn: bad result line: 'RESULT x'", k_unknown_line}));
  r = run({"READY\n", "RESULT \xff\n"}, false);
  EXPECT_EQ(r.warnings[0], "lsn: bad result line: 'Undecodable: b'RESULT \\xff''");
}

TEST(ListenerProtocol, HandlerVerdicts) {
  Transcript rejected = run({"READY\n", "RESULT 4\nFAILREADY\n"}, true, true, Verdict::Rejected);
  EXPECT_EQ(rejected.outcomes, (std::vector<O>{O::Ready, O::Rejected, O::Ready}));
  EXPECT_EQ(rejected.warnings, (std::vector<std::string>{"lsn: event was rejected"}));
  Transcript error = run({"READY\n", "RESULT 2\nOKREADY\n"}, false, true, Verdict::Error);
  EXPECT_EQ(error.outcomes, (std::vector<O>{O::Ready, O::Rejected}));
  EXPECT_EQ(error.state, S::Unknown);  // the READY after it is dropped
}

TEST(ListenerProtocol, UnknownUntilReset) {
  Harness h;
  h.proto.feed("NOPE!!");
  EXPECT_EQ(h.proto.state(), S::Unknown);
  EXPECT_TRUE(h.proto.feed("READY\n").empty());
  EXPECT_FALSE(h.proto.sent());
  h.proto.reset();
  EXPECT_EQ(h.proto.state(), S::Acknowledged);
  EXPECT_EQ(h.proto.feed("READY\n"), (std::vector<O>{O::Ready}));
}

TEST(ListenerProtocol, ResultLength) {
  EXPECT_EQ(parse_result_length("12"), 12);
  EXPECT_EQ(parse_result_length(" \t12\r "), 12);
  EXPECT_EQ(parse_result_length("+1_000"), 1000);
  EXPECT_EQ(parse_result_length("-0"), 0);
  EXPECT_EQ(parse_result_length("007"), 7);
  for (const char* bad : {"", " ", "-1", "1__0", "_1", "1_", "1.0", "0x10", "12a", "99999999999999999999"}) {
    EXPECT_FALSE(parse_result_length(bad)) << bad;
  }
}

}  // namespace
}  // namespace tend::events
