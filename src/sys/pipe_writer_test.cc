#include "sys/pipe_writer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>

namespace tend {
namespace {

using namespace std::chrono_literals;

// The daemon ignores SIGPIPE (PipeWriter's precondition); so does each test.
class IgnoreSigpipe {
 public:
  IgnoreSigpipe() {
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &m_old);
  }
  ~IgnoreSigpipe() { sigaction(SIGPIPE, &m_old, nullptr); }

 private:
  struct sigaction m_old {};
};

// `n` bytes that differ from their neighbours, so that a lost or reordered
// block shows in a comparison.
std::string pattern(size_t n, size_t seed = 0) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) {
    s[i] = static_cast<char>('a' + (i * 7 + i / 4096 + seed) % 26);
  }
  return s;
}

class PipeWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto l = EventLoop::create();
    ASSERT_TRUE(l.ok()) << l.error();
    loop = std::move(*l);
    int p[2];
    ASSERT_EQ(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
    read_end = Fd(p[0]);
    write_end = Fd(p[1]);
    // One page: the smallest pipe, so that a few KiB already fill it.
    pipe_size = fcntl(write_end.get(), F_SETPIPE_SZ, 4096);
    ASSERT_GT(pipe_size, 0);
  }

  // Fills the pipe behind the writer's back, so that its next bytes must queue.
  void fill_pipe() {
    std::string block(static_cast<size_t>(pipe_size), 'f');
    ASSERT_EQ(::write(write_end.get(), block.data(), block.size()), pipe_size);
    filler = block.size();
  }

  // Reads at most `chunk` bytes per readiness event (a slow reader) until
  // `want` bytes arrived, then stops the loop; a 10 s watchdog stops it with 99.
  int read_on_loop(size_t want, size_t chunk) {
    std::string buf(chunk, '\0');
    auto on_readable = [&, want](uint32_t) {
      ssize_t n = ::read(read_end.get(), buf.data(), buf.size());
      if (n > 0) {
        received.append(buf.data(), static_cast<size_t>(n));
      }
      if (received.size() >= want) {
        loop->stop(0);
      }
    };
    EXPECT_TRUE(loop->add_fd(read_end.get(), EPOLLIN, on_readable).ok());
    EventLoop::TimerId watchdog = loop->add_timer_after(10s, [&] { loop->stop(99); });
    int code = loop->run();
    loop->cancel_timer(watchdog);
    loop->remove_fd(read_end.get());
    return code;
  }

  IgnoreSigpipe ignore_sigpipe;
  std::unique_ptr<EventLoop> loop;
  Fd read_end;
  Fd write_end;
  int pipe_size = 0;
  size_t filler = 0;
  std::string received;
};

TEST_F(PipeWriterTest, WritesAtOnceWhenThePipeHasRoomAndDoesNotWatch) {
  PipeWriter w(*loop, std::move(write_end), "the test pipe");
  ASSERT_TRUE(w.write("hello").ok());
  EXPECT_EQ(w.pending(), 0u);
  EXPECT_FALSE(w.watching());
  char buf[16];
  ASSERT_EQ(::read(read_end.get(), buf, sizeof buf), 5);
  EXPECT_EQ(std::string(buf, 5), "hello");
}

TEST_F(PipeWriterTest, SendsFarMoreThanThePipeHoldsToASlowReaderInOrder) {
  PipeWriter w(*loop, std::move(write_end), "the test pipe");
  std::string first = pattern(1024 * 1024);
  std::string second = pattern(3000, 5);
  ASSERT_TRUE(w.write(first).ok());
  EXPECT_GT(w.pending(), 0u);
  EXPECT_TRUE(w.watching());
  ASSERT_TRUE(w.write(second).ok());  // behind the queue, not around it
  ASSERT_EQ(read_on_loop(first.size() + second.size(), 1000), 0);
  ASSERT_EQ(received.size(), first.size() + second.size());
  EXPECT_TRUE(received == first + second);
  EXPECT_EQ(w.pending(), 0u);
  EXPECT_FALSE(w.watching());
}

TEST_F(PipeWriterTest, AFullPipeWithAnIdleReaderDoesNotWakeTheLoop) {
  fill_pipe();
  int raw = write_end.get();
  PipeWriter w(*loop, std::move(write_end), "the test pipe");
  ASSERT_TRUE(w.write(pattern(10000)).ok());
  EXPECT_TRUE(loop->watching(raw));
  // Nothing reads for 50 ms: one wake-up (the timer), not a stream of EPOLLOUTs.
  loop->add_timer_after(50ms, [&] { loop->stop(0); });
  loop->run();
  EXPECT_EQ(loop->wakeups(), 1u);
  EXPECT_EQ(w.pending(), 10000u);
}

TEST_F(PipeWriterTest, AWriteBeyondTheLimitIsRefusedWhole) {
  fill_pipe();
  PipeWriter w(*loop, std::move(write_end), "the test pipe", 1000);
  EXPECT_EQ(w.limit(), 1000u);
  ASSERT_TRUE(w.write(std::string(600, 'a')).ok());
  Status st = w.write(std::string(500, 'b'));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), "unable to queue 500 bytes for the test pipe: 600 bytes are waiting already, at most 1000 may");
  EXPECT_EQ(w.pending(), 600u);
  ASSERT_TRUE(w.write(std::string(400, 'c')).ok());  // exactly full
  EXPECT_FALSE(w.write("d").ok());
  EXPECT_FALSE(w.closed());  // a refusal, not an end
  ASSERT_EQ(read_on_loop(filler + 1000, 4096), 0);
  EXPECT_EQ(received, std::string(filler, 'f') + std::string(600, 'a') + std::string(400, 'c'));
}

TEST_F(PipeWriterTest, OneWriteLargerThanTheLimitIsRefusedEvenWithAnEmptyPipe) {
  PipeWriter w(*loop, std::move(write_end), "the test pipe", 100);
  EXPECT_FALSE(w.write(std::string(101, 'x')).ok());
  char buf[1];
  EXPECT_EQ(::read(read_end.get(), buf, 1), -1);  // nothing was sent
  EXPECT_TRUE(w.write(std::string(100, 'x')).ok());
}

TEST_F(PipeWriterTest, AReaderGoneWhileBytesWaitIsReportedOnceAndTheRestDropped) {
  fill_pipe();
  int raw = write_end.get();
  PipeWriter w(*loop, std::move(write_end), "the test pipe");
  ASSERT_TRUE(w.write(pattern(5000)).ok());
  int reports = 0;
  std::string reason;
  size_t dropped = 0;
  w.set_on_closed([&](const std::string& r, size_t d) {
    ++reports;
    reason = r;
    dropped = d;
    loop->defer([&] { loop->stop(0); });
  });
  read_end.close();
  loop->add_timer_after(10s, [&] { loop->stop(99); });
  ASSERT_EQ(loop->run(), 0);
  EXPECT_EQ(reports, 1);
  EXPECT_EQ(reason, strerror(EPIPE));
  EXPECT_EQ(dropped, 5000u);
  EXPECT_TRUE(w.closed());
  EXPECT_FALSE(w.watching());
  EXPECT_FALSE(loop->watching(raw));
  EXPECT_EQ(w.pending(), 0u);
  Status st = w.write("more");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), std::string("unable to write to the test pipe: ") + strerror(EPIPE));
  EXPECT_EQ(reports, 1);
}

TEST_F(PipeWriterTest, AReaderGoneBeforeTheWriteFailsThatWriteWithoutACallback) {
  PipeWriter w(*loop, std::move(write_end), "the test pipe");
  int reports = 0;
  w.set_on_closed([&](const std::string&, size_t) { ++reports; });
  read_end.close();
  Status st = w.write("x");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), std::string("unable to write to the test pipe: ") + strerror(EPIPE));
  EXPECT_TRUE(w.closed());
  EXPECT_EQ(reports, 0);
}

TEST_F(PipeWriterTest, TheClosedCallbackMayDestroyTheWriter) {
  fill_pipe();
  auto w = std::make_unique<PipeWriter>(*loop, std::move(write_end), "the test pipe");
  ASSERT_TRUE(w->write("queued").ok());
  w->set_on_closed([&](const std::string&, size_t) {
    w.reset();
    loop->defer([&] { loop->stop(0); });
  });
  read_end.close();
  loop->add_timer_after(10s, [&] { loop->stop(99); });
  ASSERT_EQ(loop->run(), 0);
  EXPECT_EQ(w, nullptr);
}

TEST_F(PipeWriterTest, DestroyingAWriterWithAQueueStopsWatchingAndClosesTheFd) {
  fill_pipe();
  int raw = write_end.get();
  {
    PipeWriter w(*loop, std::move(write_end), "the test pipe");
    ASSERT_TRUE(w.write("queued").ok());
    EXPECT_TRUE(loop->watching(raw));
  }
  EXPECT_FALSE(loop->watching(raw));
  // Drain the filler: then EOF, as the only write end is closed.
  std::string buf(static_cast<size_t>(pipe_size) + 1, '\0');
  EXPECT_EQ(::read(read_end.get(), buf.data(), buf.size()), pipe_size);
  EXPECT_EQ(::read(read_end.get(), buf.data(), buf.size()), 0);
}

TEST_F(PipeWriterTest, CloseDropsTheQueueAndLaterWritesFail) {
  fill_pipe();
  PipeWriter w(*loop, std::move(write_end), "the test pipe");
  ASSERT_TRUE(w.write("queued").ok());
  w.close();
  EXPECT_TRUE(w.closed());
  EXPECT_EQ(w.pending(), 0u);
  EXPECT_FALSE(w.watching());
  Status st = w.write("x");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), "unable to write to the test pipe: closed");
}

TEST_F(PipeWriterTest, ABlockingFdIsMadeNonBlocking) {
  int flags = fcntl(write_end.get(), F_GETFL);
  ASSERT_EQ(fcntl(write_end.get(), F_SETFL, flags & ~O_NONBLOCK), 0);
  int raw = write_end.get();
  PipeWriter w(*loop, std::move(write_end), "the test pipe");
  EXPECT_NE(fcntl(raw, F_GETFL) & O_NONBLOCK, 0);
  // More than the pipe holds: a blocking fd would hang here.
  ASSERT_TRUE(w.write(pattern(3 * static_cast<size_t>(pipe_size))).ok());
  EXPECT_GT(w.pending(), 0u);
}

}  // namespace
}  // namespace tend
