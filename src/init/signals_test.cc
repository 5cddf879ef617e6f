#include "init/signals.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>

namespace tend::init {
namespace {

TEST(InitSignals, PolicyTable) {
  EXPECT_EQ(signal_action(SIGCHLD), SignalAction::k_reap);
  EXPECT_EQ(signal_action(SIGTERM), SignalAction::k_forward_and_stop);
  EXPECT_EQ(signal_action(SIGINT), SignalAction::k_forward_and_stop);
  EXPECT_EQ(signal_action(SIGTTIN), SignalAction::k_drop);
  EXPECT_EQ(signal_action(SIGTTOU), SignalAction::k_drop);
  for (int sig : {SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGTSTP, SIGCONT, SIGWINCH, SIGPIPE, SIGRTMIN, SIGRTMAX}) {
    EXPECT_EQ(signal_action(sig), SignalAction::k_forward) << sig;
  }
}

TEST(InitSignals, CatchableExcludesKillStopAndGlibcReserved) {
  std::vector<int> s = catchable_signals();
  EXPECT_EQ(std::count(s.begin(), s.end(), SIGKILL), 0);
  EXPECT_EQ(std::count(s.begin(), s.end(), SIGSTOP), 0);
  EXPECT_EQ(std::count(s.begin(), s.end(), 32), 0);
  EXPECT_EQ(std::count(s.begin(), s.end(), SIGCHLD), 1);
  EXPECT_EQ(std::count(s.begin(), s.end(), SIGRTMAX), 1);
  EXPECT_EQ(s.size(), 29u + static_cast<size_t>(SIGRTMAX - SIGRTMIN + 1));
}

TEST(InitSignals, ParseNamesAndNumbers) {
  EXPECT_EQ(*parse_signal("TERM"), SIGTERM);
  EXPECT_EQ(*parse_signal("SIGUSR1"), SIGUSR1);
  EXPECT_EQ(*parse_signal("sigusr2"), SIGUSR2);
  EXPECT_EQ(*parse_signal("9"), SIGKILL);
  EXPECT_EQ(*parse_signal("RTMIN"), SIGRTMIN);
  EXPECT_EQ(*parse_signal("SIGRTMIN+2"), SIGRTMIN + 2);
  EXPECT_EQ(*parse_signal("RTMAX-1"), SIGRTMAX - 1);
  for (const char* bad : {"", "0", "65", "32", "SIG", "FOO", "RTMIN+99", "RTMIN-1", "RTMAX+1", "RTMIN2"}) {
    EXPECT_FALSE(parse_signal(bad).ok()) << bad;
  }
}

TEST(InitSignals, NamesRoundTrip) {
  EXPECT_EQ(signal_name(SIGTERM), "SIGTERM");
  EXPECT_EQ(signal_name(SIGRTMIN), "SIGRTMIN");
  EXPECT_EQ(signal_name(SIGRTMIN + 3), "SIGRTMIN+3");
  for (int sig : catchable_signals()) {
    EXPECT_EQ(*parse_signal(signal_name(sig)), sig) << sig;
  }
}

}  // namespace
}  // namespace tend::init
