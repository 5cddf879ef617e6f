#include "util/signals.h"

#include <gtest/gtest.h>
#include <signal.h>

namespace tend {
namespace {

TEST(Signals, NamesAndNumbersRoundTrip) {
  for (int sig = 1; sig < 32; ++sig) {
    std::optional<int> back = signal_number(signal_name(sig));
    ASSERT_TRUE(back.has_value()) << sig;
    EXPECT_EQ(*back, sig);
  }
  EXPECT_EQ(signal_name(SIGTERM), "SIGTERM");
  EXPECT_EQ(signal_name(SIGRTMIN + 2), "SIGRTMIN+2");
}

TEST(Signals, AcceptsSupervisordSpellings) {
  EXPECT_EQ(signal_number("TERM"), SIGTERM);
  EXPECT_EQ(signal_number("sigterm"), SIGTERM);
  EXPECT_EQ(signal_number("Quit"), SIGQUIT);
  EXPECT_EQ(signal_number("9"), SIGKILL);
  EXPECT_EQ(signal_number("RTMAX-1"), SIGRTMAX - 1);
  for (const char* bad : {"", "TERMS", "0", "65", "32", "SIG", "RTMIN+99", "-1"}) {
    EXPECT_FALSE(signal_number(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace tend
