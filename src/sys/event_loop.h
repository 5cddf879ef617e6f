// EventLoop: the daemon's single loop. epoll over fds, one signalfd for every
// handled signal, one timerfd armed to the earliest timer. Nothing polls: with
// no fd activity, no signal and no timer armed, epoll_wait sleeps forever.
//
// Contract: callbacks run on the loop thread, one at a time. A callback may add
// or remove fds and timers (including its own); an event for a registration
// removed earlier in the same batch is dropped, never delivered to a reused fd.
//
// Time comes from the Clock given to create(). With the system clock timers
// fire from the timerfd; with any other clock (tests' FakeClock) the timerfd
// stays unarmed and timers fire when run_once() finds them due, so a test
// moves time by advancing its clock and calling run_once(0).
#pragma once

#include <sys/epoll.h>
#include <sys/signalfd.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "sys/kernel_sigset.h"
#include "util/clock.h"
#include "util/fd.h"
#include "util/result.h"

namespace tend {

class EventLoop {
 public:
  using FdCallback = std::function<void(uint32_t events)>;
  using TimerCallback = std::function<void()>;
  using SignalCallback = std::function<void(const signalfd_siginfo&)>;
  using TimerId = uint64_t;

  // Creates the epoll, timer and signal fds. Fails only on fd exhaustion.
  // `clock`, when given, must outlive the loop; nullptr = the system clock.
  static Result<std::unique_ptr<EventLoop>> create(const Clock* clock = nullptr);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Watches fd (not owned) for `events` (EPOLLIN, EPOLLOUT, ...).
  Status add_fd(int fd, uint32_t events, FdCallback cb);
  Status modify_fd(int fd, uint32_t events);
  // Safe to call for an fd that is not watched. Call before closing the fd.
  void remove_fd(int fd);
  bool watching(int fd) const { return m_fds.count(fd) != 0; }

  // One-shot timer at an absolute monotonic deadline. Returns a nonzero id.
  TimerId add_timer(MonoTime deadline, TimerCallback cb);
  TimerId add_timer_after(Duration delay, TimerCallback cb) { return add_timer(now() + delay, std::move(cb)); }
  // Safe with 0 or an id that already fired.
  void cancel_timer(TimerId id);
  size_t timer_count() const { return m_timers.size(); }

  // Blocks `sig` (1..64 but KILL and STOP, glibc's reserved 32 and 33
  // included) in this thread and delivers it through the signalfd to cb.
  // One callback per signal; a later call replaces it. The destructor discards
  // pending ones and restores the mask it found.
  Status handle_signal(int sig, SignalCallback cb);
  // Drops the callback; the signal stays blocked and is then read and ignored.
  void forget_signal(int sig) { m_signal_cbs.erase(sig); }

  // Runs callbacks until stop(); returns the code given to stop().
  int run();
  // One pass: waits up to timeout_ms (0 = not at all, -1 = forever) for fd or
  // signal activity, dispatches it, then runs the timers due by the clock and
  // the deferred callbacks. For tests and for callers that own the loop.
  void run_once(int timeout_ms);
  void stop(int code);
  bool stopping() const { return m_stop; }

  // Runs cb once, after the current batch of events (before sleeping again).
  void defer(std::function<void()> cb);

  MonoTime now() const { return m_clock->now(); }
  const Clock& clock() const { return *m_clock; }

  // Counts epoll_wait returns; lets tests and benchmarks see idle wake-ups.
  uint64_t wakeups() const { return m_wakeups; }

 private:
  EventLoop() = default;
  struct Watch {
    int fd;
    FdCallback cb;
  };
  void rearm_timerfd();
  void on_timerfd();
  void fire_due_timers();
  void on_signalfd();
  void run_deferred();
  // Dispatches one epoll_wait; false on a wait error (logged).
  bool wait_and_dispatch(int timeout_ms);

  SystemClock m_system_clock;
  const Clock* m_clock = &m_system_clock;
  bool m_real_time = true;  // m_clock is the system clock: the timerfd is used
  Fd m_epoll;
  Fd m_timerfd;
  Fd m_signalfd;
  KernelSigset m_sigset = 0;  // the signalfd's signals (kernel mask: may hold 32 and 33)
  KernelSigset m_original_mask = 0;
  bool m_mask_changed = false;
  uint64_t m_next_token = 1;
  std::unordered_map<int, uint64_t> m_fds;                       // fd -> token
  std::unordered_map<uint64_t, std::shared_ptr<Watch>> m_watch;  // token -> watch
  std::multimap<MonoTime, TimerId> m_deadlines;
  std::unordered_map<TimerId, std::pair<std::multimap<MonoTime, TimerId>::iterator, TimerCallback>> m_timers;
  TimerId m_next_timer = 1;
  MonoTime m_armed{};
  bool m_armed_valid = false;
  std::unordered_map<int, SignalCallback> m_signal_cbs;
  std::vector<std::function<void()>> m_deferred;
  bool m_stop = false;
  int m_code = 0;
  uint64_t m_wakeups = 0;
};

}  // namespace tend
