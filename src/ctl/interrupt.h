// Ctrl-C as tendctl's shell, tail -f and fg use it: while an InterruptScope
// lives, SIGINT only sets a flag and makes a blocked read fail with EINTR
// (no SA_RESTART), so the caller can stop cleanly. Outside a scope SIGINT
// keeps its default action.
#pragma once

#include <csignal>

namespace tend::ctl {

class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

  // True once SIGINT arrived while this scope was active.
  static bool interrupted();

 private:
  struct sigaction m_old {};
};

}  // namespace tend::ctl
