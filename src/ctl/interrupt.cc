#include "ctl/interrupt.h"

namespace tend::ctl {

namespace {

volatile std::sig_atomic_t g_interrupted = 0;

void on_sigint(int /*sig*/) { g_interrupted = 1; }

}  // namespace

InterruptScope::InterruptScope() {
  g_interrupted = 0;
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocked reads must return EINTR
  sigaction(SIGINT, &sa, &m_old);
}

InterruptScope::~InterruptScope() { sigaction(SIGINT, &m_old, nullptr); }

bool InterruptScope::interrupted() { return g_interrupted != 0; }

}  // namespace tend::ctl
