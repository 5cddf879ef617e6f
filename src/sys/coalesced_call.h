// CoalescedCall: a callback run once on the loop after any number of
// requests made before it runs (the deferred pass of EventLoop::defer). For
// reactions that must not run inside the event that asked for them (a
// process's state change) and that a burst of events should trigger once.
// Destroying it drops a pending run.
#pragma once

#include <functional>
#include <memory>
#include <utility>

#include "sys/event_loop.h"

namespace tend {

class CoalescedCall {
 public:
  CoalescedCall(EventLoop& loop, std::function<void()> fn) : m_loop(loop), m_fn(std::move(fn)) {}
  ~CoalescedCall() { *m_alive = false; }
  CoalescedCall(const CoalescedCall&) = delete;
  CoalescedCall& operator=(const CoalescedCall&) = delete;

  // The callback runs in the loop's next deferred pass; a request while one
  // is pending adds nothing. The callback may request again (a new run).
  void request() {
    if (m_pending) {
      return;
    }
    m_pending = true;
    m_loop.defer([this, alive = std::weak_ptr<bool>(m_alive)] {
      if (auto a = alive.lock(); a && *a) {
        m_pending = false;
        m_fn();
      }
    });
  }
  bool pending() const { return m_pending; }

 private:
  EventLoop& m_loop;
  std::function<void()> m_fn;
  bool m_pending = false;
  std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

}  // namespace tend
