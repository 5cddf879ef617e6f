// A Supervisor on a fake clock and a fake runtime, the fixture of the tests of
// the supervisor's logic and of what subscribes to it: no processes, no
// sleeps. Time moves when a test advances the clock; a "process" exits when
// the test says so (exit(), Supervisor::child_exited).
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <memory>
#include <string>

#include "core/supervisor.h"
#include "fakes/fake_clock.h"
#include "fakes/fake_runtime.h"

namespace tend::test_support {

// Wait statuses as waitpid reports them.
inline int exited_with(int code) { return (code & 0xff) << 8; }
inline int killed_by(int sig) { return sig & 0x7f; }

inline Supervisor::ConfigLoader no_reload() {
  return [] { return Result<Config>(make_error("no reload")); };
}

class FakeSupervisorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The sweep at the end of a shutdown reaps for real: this process must
    // have no children of its own.
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    auto l = EventLoop::create(&clock);
    ASSERT_TRUE(l.ok());
    loop = std::move(*l);
  }

  // The supervisor, not started: subscribers that must see the start-up are
  // made between build() and start().
  void build(Config c, Supervisor::ConfigLoader reload = no_reload()) {
    sup = std::make_unique<Supervisor>(*loop, std::move(c), std::move(reload), &rt);
  }
  void start() {
    ASSERT_TRUE(sup->start().ok());
    settle();
  }
  void make(Config c, Supervisor::ConfigLoader reload = no_reload()) {
    build(std::move(c), std::move(reload));
    start();
  }

  // Runs what is due now: deferred work and timers, until nothing is left.
  void settle() {
    for (int i = 0; i < 20; ++i) {
      loop->run_once(0);
    }
  }
  void advance(double s) {
    clock.advance(s);
    settle();
  }

  const Process& proc(const std::string& group, const std::string& name) {
    const Process* p = sup->table().find(group, name);
    EXPECT_NE(p, nullptr) << group << ":" << name;
    return *p;
  }
  // A program in a group of its own name.
  const Process& proc(const std::string& name) { return proc(name, name); }
  pid_t pid_of(const std::string& name) { return proc(name).pid(); }
  // `name`'s process ends with the wait status `status`.
  void exit(const std::string& name, int status) {
    sup->child_exited(pid_of(name), status);
    settle();
  }

  FakeClock clock;
  FakeRuntime rt;
  std::unique_ptr<EventLoop> loop;
  std::unique_ptr<Supervisor> sup;
};

}  // namespace tend::test_support
