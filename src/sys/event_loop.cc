#include "sys/event_loop.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <fmt/format.h>

namespace tend {

namespace {
constexpr uint64_t k_timer_token = 0;
constexpr uint64_t k_signal_token = ~uint64_t{0};
}  // namespace

Result<std::unique_ptr<EventLoop>> EventLoop::create(const Clock* clock) {
  std::unique_ptr<EventLoop> loop(new EventLoop());
  if (clock != nullptr) {
    loop->m_clock = clock;
    loop->m_real_time = false;
  }
  loop->m_epoll = Fd(epoll_create1(EPOLL_CLOEXEC));
  if (!loop->m_epoll) {
    return make_error(fmt::format("unable to create epoll instance: {}", strerror(errno)));
  }
  loop->m_timerfd = Fd(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!loop->m_timerfd) {
    return make_error(fmt::format("unable to create timerfd: {}", strerror(errno)));
  }
  loop->m_signalfd = Fd(kernel_signalfd(-1, 0, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!loop->m_signalfd) {
    return make_error(fmt::format("unable to create signalfd: {}", strerror(errno)));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = k_timer_token;
  if (epoll_ctl(loop->m_epoll.get(), EPOLL_CTL_ADD, loop->m_timerfd.get(), &ev) != 0) {
    return make_error(fmt::format("unable to watch timerfd: {}", strerror(errno)));
  }
  ev.data.u64 = k_signal_token;
  if (epoll_ctl(loop->m_epoll.get(), EPOLL_CTL_ADD, loop->m_signalfd.get(), &ev) != 0) {
    return make_error(fmt::format("unable to watch signalfd: {}", strerror(errno)));
  }
  return loop;
}

EventLoop::~EventLoop() {
  if (!m_mask_changed) {
    return;
  }
  // Consume what is pending so that unblocking does not act on it.
  signalfd_siginfo info{};
  while (read(m_signalfd.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
  }
  (void)change_kernel_mask(SIG_SETMASK, m_original_mask, nullptr);
}

Status EventLoop::add_fd(int fd, uint32_t events, FdCallback cb) {
  if (m_fds.count(fd) != 0) {
    return make_error(fmt::format("unable to watch fd {}: already watched", fd));
  }
  uint64_t token = m_next_token++;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = token;
  if (epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
    return make_error(fmt::format("unable to watch fd {}: {}", fd, strerror(errno)));
  }
  m_fds[fd] = token;
  m_watch[token] = std::make_shared<Watch>(Watch{fd, std::move(cb)});
  return ok_status();
}

Status EventLoop::modify_fd(int fd, uint32_t events) {
  auto it = m_fds.find(fd);
  if (it == m_fds.end()) {
    return make_error(fmt::format("unable to modify fd {}: not watched", fd));
  }
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = it->second;
  if (epoll_ctl(m_epoll.get(), EPOLL_CTL_MOD, fd, &ev) != 0) {
    return make_error(fmt::format("unable to modify fd {}: {}", fd, strerror(errno)));
  }
  return ok_status();
}

void EventLoop::remove_fd(int fd) {
  auto it = m_fds.find(fd);
  if (it == m_fds.end()) {
    return;
  }
  epoll_ctl(m_epoll.get(), EPOLL_CTL_DEL, fd, nullptr);
  m_watch.erase(it->second);
  m_fds.erase(it);
}

EventLoop::TimerId EventLoop::add_timer(MonoTime deadline, TimerCallback cb) {
  TimerId id = m_next_timer++;
  auto pos = m_deadlines.emplace(deadline, id);
  m_timers.emplace(id, std::make_pair(pos, std::move(cb)));
  rearm_timerfd();
  return id;
}

void EventLoop::cancel_timer(TimerId id) {
  auto it = m_timers.find(id);
  if (it == m_timers.end()) {
    return;
  }
  m_deadlines.erase(it->second.first);
  m_timers.erase(it);
  rearm_timerfd();
}

void EventLoop::rearm_timerfd() {
  if (!m_real_time) {
    return;  // a test's clock: run_once() fires what is due
  }
  itimerspec spec{};
  if (m_deadlines.empty()) {
    if (!m_armed_valid) {
      return;
    }
    m_armed_valid = false;
    timerfd_settime(m_timerfd.get(), 0, &spec, nullptr);  // disarm
    return;
  }
  MonoTime first = m_deadlines.begin()->first;
  if (m_armed_valid && m_armed == first) {
    return;
  }
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(first.time_since_epoch()).count();
  if (ns <= 0) {
    ns = 1;  // an all-zero it_value would disarm the timer
  }
  spec.it_value.tv_sec = ns / 1000000000;
  spec.it_value.tv_nsec = ns % 1000000000;
  timerfd_settime(m_timerfd.get(), TFD_TIMER_ABSTIME, &spec, nullptr);
  m_armed = first;
  m_armed_valid = true;
}

void EventLoop::on_timerfd() {
  uint64_t expirations = 0;
  while (read(m_timerfd.get(), &expirations, sizeof expirations) > 0) {
  }
  m_armed_valid = false;
  fire_due_timers();
}

void EventLoop::fire_due_timers() {
  MonoTime t = now();
  // Collect first: a callback may add a timer that is already due, which then
  // runs on the next pass instead of starving the loop.
  std::vector<TimerId> due;
  for (auto it = m_deadlines.begin(); it != m_deadlines.end() && it->first <= t; ++it) {
    due.push_back(it->second);
  }
  for (TimerId id : due) {
    auto it = m_timers.find(id);
    if (it == m_timers.end()) {
      continue;  // cancelled by an earlier callback in this batch
    }
    TimerCallback cb = std::move(it->second.second);
    m_deadlines.erase(it->second.first);
    m_timers.erase(it);
    cb();
  }
  rearm_timerfd();
}

Status EventLoop::handle_signal(int sig, SignalCallback cb) {
  if (sig < 1 || sig > 64 || sig == SIGKILL || sig == SIGSTOP) {
    return make_error(fmt::format("unable to handle signal {}: not a catchable signal", sig));
  }
  m_signal_cbs[sig] = std::move(cb);
  KernelSigset bit = kernel_sigbit(sig);
  if ((m_sigset & bit) != 0) {
    return ok_status();
  }
  KernelSigset before = 0;
  if (Status s = change_kernel_mask(SIG_BLOCK, bit, &before); !s.ok()) {
    return s;
  }
  if (!m_mask_changed) {
    m_original_mask = before;
    m_mask_changed = true;
  }
  // Raw signalfd4 with a kernel mask: a sigset_t cannot hold 32 and 33.
  if (kernel_signalfd(m_signalfd.get(), m_sigset | bit, 0) < 0) {
    return make_error(fmt::format("unable to update signalfd: {}", strerror(errno)));
  }
  m_sigset |= bit;
  return ok_status();
}

void EventLoop::on_signalfd() {
  signalfd_siginfo info{};
  while (read(m_signalfd.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    auto it = m_signal_cbs.find(static_cast<int>(info.ssi_signo));
    if (it != m_signal_cbs.end()) {
      SignalCallback cb = it->second;  // the callback may replace itself
      cb(info);
    }
    if (m_stop) {
      return;
    }
  }
}

void EventLoop::defer(std::function<void()> cb) { m_deferred.push_back(std::move(cb)); }

void EventLoop::run_deferred() {
  while (!m_deferred.empty()) {
    std::vector<std::function<void()>> batch;
    batch.swap(m_deferred);
    for (auto& cb : batch) {
      cb();
    }
  }
}

void EventLoop::stop(int code) {
  m_stop = true;
  m_code = code;
}

bool EventLoop::wait_and_dispatch(int timeout_ms) {
  constexpr int k_batch = 64;
  epoll_event events[k_batch];
  int n = epoll_wait(m_epoll.get(), events, k_batch, timeout_ms);
  ++m_wakeups;
  if (n < 0) {
    if (errno == EINTR) {
      return true;
    }
    fmt::print(stderr, "tend: unable to wait for events: {}\n", strerror(errno));
    return false;
  }
  for (int i = 0; i < n && !m_stop; ++i) {
    uint64_t token = events[i].data.u64;
    if (token == k_timer_token) {
      on_timerfd();
    } else if (token == k_signal_token) {
      on_signalfd();
    } else {
      auto it = m_watch.find(token);
      if (it == m_watch.end()) {
        continue;  // removed earlier in this batch
      }
      std::shared_ptr<Watch> w = it->second;  // keeps the callback alive while it runs
      w->cb(events[i].events);
    }
  }
  return true;
}

void EventLoop::run_once(int timeout_ms) {
  run_deferred();
  if (!wait_and_dispatch(timeout_ms)) {
    return;
  }
  if (!m_real_time && !m_stop) {
    fire_due_timers();
  }
  if (!m_stop) {
    run_deferred();
  }
}

int EventLoop::run() {
  run_deferred();
  while (!m_stop) {
    if (!wait_and_dispatch(-1)) {
      return 1;
    }
    if (!m_stop) {
      run_deferred();
    }
  }
  return m_code;
}

}  // namespace tend
