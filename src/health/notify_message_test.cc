#include "health/notify_message.h"

#include <gtest/gtest.h>

namespace tend::health {
namespace {

TEST(NotifyMessage, Flags) {
  struct Case {
    const char* text;
    bool ready, stopping, reloading, ping, trigger, barrier;
  };
  const Case cases[] = {
      {"READY=1", true, false, false, false, false, false},
      {"READY=1\n", true, false, false, false, false, false},
      {"STOPPING=1", false, true, false, false, false, false},
      {"RELOADING=1", false, false, true, false, false, false},
      {"WATCHDOG=1", false, false, false, true, false, false},
      {"WATCHDOG=trigger", false, false, false, false, true, false},
      {"BARRIER=1", false, false, false, false, false, true},
      {"READY=1\nWATCHDOG=1\nBARRIER=1", true, false, false, true, false, true},
      {"READY=0", false, false, false, false, false, false},
      {"READY=yes", false, false, false, false, false, false},
      {"ready=1", false, false, false, false, false, false},  // names are case-sensitive
      {"", false, false, false, false, false, false},
      {"\n\n", false, false, false, false, false, false},
  };
  for (const Case& c : cases) {
    NotifyMessage m = parse_notify_message(c.text);
    EXPECT_EQ(m.ready, c.ready) << c.text;
    EXPECT_EQ(m.stopping, c.stopping) << c.text;
    EXPECT_EQ(m.reloading, c.reloading) << c.text;
    EXPECT_EQ(m.watchdog_ping, c.ping) << c.text;
    EXPECT_EQ(m.watchdog_trigger, c.trigger) << c.text;
    EXPECT_EQ(m.barrier, c.barrier) << c.text;
  }
}

TEST(NotifyMessage, NulEndsTheMessage) {
  NotifyMessage m = parse_notify_message(std::string_view("READY=1\0STOPPING=1", 18));
  EXPECT_TRUE(m.ready);
  EXPECT_FALSE(m.stopping);
}

TEST(NotifyMessage, StatusKeepsItsValueAsSent) {
  struct Case {
    const char* text;
    std::optional<std::string> status;
  };
  const Case cases[] = {
      {"STATUS=Loading data", "Loading data"},
      {"STATUS=", ""},
      {"STATUS=a=b", "a=b"},
      {"STATUS= spaced ", " spaced "},
      {"STATUS=one\nSTATUS=two", "two"},  // the last one wins
      {"READY=1", std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(parse_notify_message(c.text).status, c.status) << c.text;
  }
}

TEST(NotifyMessage, Microseconds) {
  struct Case {
    const char* text;
    std::optional<uint64_t> extend, watchdog;
    size_t problems;
  };
  const Case cases[] = {
      {"EXTEND_TIMEOUT_USEC=5000000", 5000000, std::nullopt, 0},
      {"WATCHDOG_USEC=2000000", std::nullopt, 2000000, 0},
      {"EXTEND_TIMEOUT_USEC=0", 0, std::nullopt, 0},
      {"EXTEND_TIMEOUT_USEC=-1", std::nullopt, std::nullopt, 1},
      {"EXTEND_TIMEOUT_USEC=5s", std::nullopt, std::nullopt, 1},
      {"EXTEND_TIMEOUT_USEC=", std::nullopt, std::nullopt, 1},
      {"WATCHDOG_USEC=99999999999999999999999", std::nullopt, std::nullopt, 1},
  };
  for (const Case& c : cases) {
    NotifyMessage m = parse_notify_message(c.text);
    EXPECT_EQ(m.extend_timeout_usec, c.extend) << c.text;
    EXPECT_EQ(m.watchdog_usec, c.watchdog) << c.text;
    EXPECT_EQ(m.problems.size(), c.problems) << c.text;
  }
}

TEST(NotifyMessage, UnknownNamesAreListedAndBadLinesReported) {
  NotifyMessage m = parse_notify_message("MAINPID=42\nnonsense\n=1\nERRNO=2\nREADY=1");
  EXPECT_TRUE(m.ready);  // the good lines still count
  EXPECT_EQ(m.ignored, (std::vector<std::string>{"MAINPID", "ERRNO"}));
  ASSERT_EQ(m.problems.size(), 2u);
  EXPECT_EQ(m.problems[0], "'nonsense': not NAME=VALUE");
  EXPECT_EQ(m.problems[1], "'=1': not NAME=VALUE");
}

}  // namespace
}  // namespace tend::health
