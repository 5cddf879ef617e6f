// NotifySocket with real datagrams on a real loop: credentials, fds closed
// (BARRIER), truncation, and a handler that destroys the socket.
#include "health/notify_socket.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <vector>

namespace tend::health {
namespace {

class NotifySocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto l = EventLoop::create();
    ASSERT_TRUE(l.ok());
    loop = std::move(*l);
  }
  std::unique_ptr<NotifySocket> open(NotifySocket::Handler h, std::string_view label = "app") {
    auto s = NotifySocket::open(*loop, label, std::move(h));
    EXPECT_TRUE(s.ok()) << s.error();
    return s.ok() ? std::move(*s) : nullptr;
  }
  std::unique_ptr<EventLoop> loop;
};

struct Seen {
  pid_t pid;
  uid_t uid;
  std::string text;
  size_t fds;
  bool truncated;
};

TEST_F(NotifySocketTest, DeliversTextWithTheSendersCredentials) {
  std::vector<Seen> seen;
  auto s = open([&](const NotifySocket::Datagram& d) {
    seen.push_back({d.pid, d.uid, std::string(d.text), d.fds, d.truncated});
  });
  ASSERT_TRUE(s);
  EXPECT_EQ(s->address().rfind("@tend/notify/app/", 0), 0u) << s->address();
  ASSERT_TRUE(send_notify(s->address(), "READY=1\nSTATUS=up").ok());
  ASSERT_TRUE(send_notify(s->address(), "WATCHDOG=1").ok());
  loop->run_once(1000);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].pid, getpid());
  EXPECT_EQ(seen[0].uid, getuid());
  EXPECT_EQ(seen[0].text, "READY=1\nSTATUS=up");
  EXPECT_EQ(seen[0].fds, 0u);
  EXPECT_FALSE(seen[0].truncated);
  EXPECT_EQ(seen[1].text, "WATCHDOG=1");
}

TEST_F(NotifySocketTest, EachSocketHasItsOwnAddress) {
  auto a = open([](const NotifySocket::Datagram&) {});
  auto b = open([](const NotifySocket::Datagram&) {});
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->address(), b->address());
}

TEST_F(NotifySocketTest, ALongLabelIsCutToFitTheAddress) {
  auto s = open([](const NotifySocket::Datagram&) {}, std::string(300, 'x'));
  ASSERT_TRUE(s);
  EXPECT_LT(s->address().size(), 108u);
}

TEST_F(NotifySocketTest, PassedFdsAreClosedAfterTheHandlerSoABarrierCompletes) {
  int barrier[2];
  ASSERT_EQ(pipe2(barrier, O_CLOEXEC), 0);
  bool handler_saw_open_pipe = false;
  size_t fds = 0;
  auto s = open([&](const NotifySocket::Datagram& d) {
    fds = d.fds;
    // Still open while the handler runs: earlier messages are handled before the sender goes on.
    pollfd p{barrier[0], POLLIN, 0};
    handler_saw_open_pipe = poll(&p, 1, 0) == 0;
  });
  ASSERT_TRUE(s);
  ASSERT_TRUE(send_notify(s->address(), "BARRIER=1", barrier[1]).ok());
  close(barrier[1]);  // as the sender does: now only tend's copy keeps the pipe open
  loop->run_once(1000);
  EXPECT_EQ(fds, 1u);
  EXPECT_TRUE(handler_saw_open_pipe);
  pollfd p{barrier[0], POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 1000), 1);
  EXPECT_TRUE(p.revents & POLLHUP);  // what the sender waits for
  close(barrier[0]);
}

TEST_F(NotifySocketTest, AnOversizedDatagramIsMarkedTruncated) {
  std::vector<Seen> seen;
  auto s = open([&](const NotifySocket::Datagram& d) {
    seen.push_back({d.pid, d.uid, std::string(d.text), d.fds, d.truncated});
  });
  ASSERT_TRUE(s);
  ASSERT_TRUE(send_notify(s->address(), "STATUS=" + std::string(NotifySocket::k_max_datagram, 'y')).ok());
  loop->run_once(1000);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_TRUE(seen[0].truncated);
  EXPECT_EQ(seen[0].text.size(), NotifySocket::k_max_datagram);
}

TEST_F(NotifySocketTest, TheHandlerMayDestroyTheSocket) {
  std::unique_ptr<NotifySocket> s;
  int calls = 0;
  s = open([&](const NotifySocket::Datagram&) {
    ++calls;
    s.reset();
  });
  ASSERT_TRUE(s);
  std::string address = s->address();
  ASSERT_TRUE(send_notify(address, "READY=1").ok());
  ASSERT_TRUE(send_notify(address, "READY=1").ok());
  loop->run_once(1000);
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(send_notify(address, "READY=1").ok());  // gone: connection refused
}

}  // namespace
}  // namespace tend::health
