#include "events/pool.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "events/result_handler.h"

namespace tend::events {
namespace {

const Pool::ListenerId k_a = reinterpret_cast<Pool::ListenerId>(0x1);
const Pool::ListenerId k_b = reinterpret_cast<Pool::ListenerId>(0x2);

class PoolTest : public ::testing::Test {
 protected:
  Pool make(std::vector<EventType> subs, size_t buffer_size = 10) {
    Pool::Io io;
    io.send = [this](Pool::ListenerId id, std::string_view bytes) {
      if (broken.count(id) != 0) {
        return false;
      }
      sent[id].emplace_back(bytes);
      return true;
    };
    io.log = [this](Level l, const std::string& m) {
      if (l >= Level::Error) {
        errors.push_back(m);
      }
    };
    io.handler = default_handler;
    return Pool(PoolSettings{"lsn", std::move(subs), buffer_size, "supervisor"}, io);
  }
  QueuedEvent tick(int64_t serial, int64_t when) {
    return QueuedEvent{EventType::Tick5, std::make_shared<const std::string>("when:" + std::to_string(when)), serial};
  }
  static std::string env(int64_t serial, int64_t pool_serial, int64_t when) {
    std::string payload = "when:" + std::to_string(when);
    return "ver:3.0 server:supervisor serial:" + std::to_string(serial) + " pool:lsn poolserial:" +
           std::to_string(pool_serial) + " eventname:TICK_5 len:" + std::to_string(payload.size()) + "\n" + payload;
  }
  void ready(Pool& p, Pool::ListenerId id) {
    p.listener_running(id, true);
    p.feed(id, "READY\n");
  }

  std::map<Pool::ListenerId, std::vector<std::string>> sent;
  std::set<Pool::ListenerId> broken;
  std::vector<std::string> errors;
};

TEST_F(PoolTest, SubscriptionsCoverSubtypesOncePerName) {
  Pool p = make({EventType::ProcessState, EventType::ProcessStateRunning, EventType::Tick5});
  EXPECT_EQ(p.takes(EventType::ProcessStateRunning), 2);
  EXPECT_EQ(p.takes(EventType::ProcessStateExited), 1);
  EXPECT_EQ(p.takes(EventType::Tick5), 1);
  EXPECT_EQ(p.takes(EventType::Tick60), 0);
  EXPECT_FALSE(p.offer(tick(0, 5)) && false);
  Pool q = make({EventType::Tick60});
  EXPECT_FALSE(q.offer(tick(0, 5)));
  EXPECT_TRUE(q.buffer().empty());
}

TEST_F(PoolTest, EventsWaitForAReadyRunningListenerAndGoOldestFirst) {
  Pool p = make({EventType::Tick});
  p.add_listener(k_a, "a", 0);
  p.offer(tick(10, 5));
  p.offer(tick(11, 10));
  EXPECT_FALSE(p.can_dispatch());  // ACKNOWLEDGED
  p.feed(k_a, "READY\n");
  EXPECT_FALSE(p.can_dispatch());  // not RUNNING yet
  p.listener_running(k_a, true);
  ASSERT_TRUE(p.can_dispatch());
  p.dispatch();
  EXPECT_EQ(sent[k_a], (std::vector<std::string>{env(10, 0, 5)}));
  EXPECT_EQ(p.listener_state(k_a), ListenerState::Busy);
  EXPECT_FALSE(p.can_dispatch());
  p.feed(k_a, "RESULT 2\nOKREADY\n");
  p.dispatch();
  EXPECT_EQ(sent[k_a], (std::vector<std::string>{env(10, 0, 5), env(11, 1, 10)}));
  EXPECT_TRUE(p.buffer().empty());
}

TEST_F(PoolTest, RejectedEventComesBackFirstWithItsSerials) {
  Pool p = make({EventType::Tick});
  p.add_listener(k_a, "a", 0);
  ready(p, k_a);
  p.offer(tick(3, 5));
  p.dispatch();
  p.offer(tick(4, 10));
  p.feed(k_a, "RESULT 4\nFAIL");
  ASSERT_EQ(p.buffer().size(), 2u);
  EXPECT_EQ(p.buffer().front().serial, 3);
  EXPECT_EQ(p.buffer().front().pool_serial, 0);
  p.feed(k_a, "READY\n");
  p.dispatch();
  EXPECT_EQ(sent[k_a].back(), env(3, 0, 5));
}

TEST_F(PoolTest, OverflowDropsTheOldest) {
  Pool p = make({EventType::Tick}, 2);
  p.offer(tick(0, 5));
  p.offer(tick(1, 10));
  p.offer(tick(2, 15));
  EXPECT_EQ(errors, (std::vector<std::string>{"pool lsn event buffer overflowed, discarding event 0"}));
  ASSERT_EQ(p.buffer().size(), 2u);
  EXPECT_EQ(p.buffer().front().serial, 1);
  EXPECT_EQ(p.buffer().back().pool_serial, 2);  // the dropped one kept its number
}

TEST_F(PoolTest, ADyingListenersEventGoesToTheNext) {
  Pool p = make({EventType::Tick});
  p.add_listener(k_b, "b", 1);
  p.add_listener(k_a, "a", 0);
  ready(p, k_a);
  ready(p, k_b);
  p.offer(tick(0, 5));
  p.dispatch();
  ASSERT_EQ(sent[k_a].size(), 1u);  // process_num order: a first
  EXPECT_TRUE(sent[k_b].empty());
  p.listener_exited(k_a);
  ASSERT_EQ(p.buffer().size(), 1u);
  p.dispatch();
  EXPECT_EQ(sent[k_b], (std::vector<std::string>{env(0, 0, 5)}));
  p.listener_spawned(k_a);
  EXPECT_EQ(p.listener_state(k_a), ListenerState::Acknowledged);
}

TEST_F(PoolTest, UnknownListenerGetsNoMoreAndItsEventComesBack) {
  Pool p = make({EventType::Tick});
  p.add_listener(k_a, "a", 0);
  ready(p, k_a);
  p.offer(tick(0, 5));
  p.dispatch();
  p.feed(k_a, "garbage\n");
  EXPECT_EQ(p.listener_state(k_a), ListenerState::Unknown);
  EXPECT_EQ(p.buffer().size(), 1u);
  EXPECT_FALSE(p.can_dispatch());
}

TEST_F(PoolTest, AFailedWriteTriesTheNextListener) {
  Pool p = make({EventType::Tick});
  p.add_listener(k_a, "a", 0);
  p.add_listener(k_b, "b", 1);
  ready(p, k_a);
  ready(p, k_b);
  broken.insert(k_a);
  p.offer(tick(0, 5));
  p.dispatch();
  EXPECT_EQ(p.listener_state(k_a), ListenerState::Ready);
  EXPECT_EQ(sent[k_b].size(), 1u);
  broken.insert(k_b);
  p.offer(tick(1, 10));
  p.dispatch();
  EXPECT_EQ(p.buffer().size(), 1u);  // nobody took it: back in the buffer
}

TEST_F(PoolTest, DuplicateSubscriptionSendsTwice) {
  Pool p = make({EventType::Event, EventType::Tick5});
  p.add_listener(k_a, "a", 0);
  ready(p, k_a);
  p.offer(tick(0, 5));
  ASSERT_EQ(p.buffer().size(), 2u);
  p.dispatch();
  p.feed(k_a, "RESULT 2\nOKREADY\n");
  p.dispatch();
  EXPECT_EQ(sent[k_a], (std::vector<std::string>{env(0, 0, 5), env(0, 0, 5)}));
}

TEST(PoolSerial, WrapsAfterTheLargest) {
  int64_t s = -1;
  EXPECT_EQ(next_serial(s), 0);
  EXPECT_EQ(next_serial(s), 1);
  s = INT64_MAX;
  EXPECT_EQ(next_serial(s), 0);
}

QueuedEvent log_chunk(int64_t serial, const void* source, int64_t pid, const std::string& data) {
  std::string header = "processname:w groupname:w pid:" + std::to_string(pid) + " channel:stdout\n";
  QueuedEvent q{EventType::ProcessLogStdout, std::make_shared<const std::string>(header + data), serial};
  q.source = source;
  q.source_pid = pid;
  q.data_offset = header.size();
  return q;
}

TEST_F(PoolTest, AFullBufferMergesLogChunksOfOneRunInsteadOfDiscarding) {
  Pool p = make({EventType::ProcessLog}, 3);
  const void* w = reinterpret_cast<const void*>(0x10);
  for (int i = 0; i < 3; ++i) {
    p.offer(log_chunk(i, w, 42, "line " + std::to_string(i) + "\n"));
  }
  ASSERT_EQ(p.buffer().size(), 3u);
  // Full: the next chunks join the newest one; nothing is discarded.
  p.offer(log_chunk(3, w, 42, "line 3\n"));
  p.offer(log_chunk(4, w, 42, "line 4\n"));
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(p.buffer().size(), 3u);
  EXPECT_EQ(*p.buffer().back().payload, "processname:w groupname:w pid:42 channel:stdout\nline 2\nline 3\nline 4\n");
  EXPECT_EQ(p.buffer().back().pool_serial, 2);
  // Another run (pid), another channel or another process is not merged: the oldest goes.
  p.offer(log_chunk(5, w, 43, "new run\n"));
  EXPECT_EQ(errors.size(), 1u);
  EXPECT_EQ(*p.buffer().back().payload, "processname:w groupname:w pid:43 channel:stdout\nnew run\n");
  // A merged event never grows past k_max_merged_log bytes of data.
  std::string big(k_max_merged_log - 8, 'x');  // "new run\n" + big = the limit exactly
  p.offer(log_chunk(6, w, 43, big));
  EXPECT_EQ(errors.size(), 1u);
  p.offer(log_chunk(7, w, 43, "y"));
  EXPECT_EQ(errors.size(), 2u);
  EXPECT_EQ(p.buffer().back().payload->back(), 'y');
}

}  // namespace
}  // namespace tend::events
