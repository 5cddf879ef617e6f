// wait_until(pred, timeout): the unit tests' way to wait for something another
// thread or process does (a file appearing, a connection closing, a state):
// polls `pred` every 2 ms until it holds or the generous deadline passes, so a
// test takes as long as the event and fails, instead of hanging, without it.
// Not for "nothing happens for a while": that is a fixed window by design.
#pragma once

#include <chrono>
#include <thread>

namespace tend::test_support {

// True once pred() returned true; false if the deadline passed first.
template <typename Pred>
bool wait_until(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace tend::test_support
