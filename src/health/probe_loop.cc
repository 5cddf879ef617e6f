#include "health/probe_loop.h"

namespace tend::health {

ProbeLoop::ProbeLoop(EventLoop& loop, Prober& prober, ProbeSpec spec, ProbeContext ctx, Timing timing,
                     OnResult on_result)
    : m_loop(loop),
      m_prober(prober),
      m_spec(std::move(spec)),
      m_ctx(std::move(ctx)),
      m_timing(timing),
      m_on_result(std::move(on_result)) {
  m_timer = m_loop.add_timer_after(m_timing.first_delay, [this] {
    m_timer = 0;
    attempt();
  });
}

ProbeLoop::~ProbeLoop() { m_loop.cancel_timer(m_timer); }

void ProbeLoop::attempt() {
  ++m_attempts;
  m_attempt = m_prober.start(m_spec, m_ctx, m_timing.timeout, [this](const ProbeResult& r) { attempt_done(r); });
}

void ProbeLoop::attempt_done(const ProbeResult& r) {
  // Runs inside the attempt's callback, which allows destroying the attempt.
  m_attempt.reset();
  m_timer = m_loop.add_timer_after(m_timing.interval, [this] {
    m_timer = 0;
    attempt();
  });
  // From a copy: on_result may destroy this loop (and with it m_on_result).
  OnResult on_result = m_on_result;
  on_result(r);
}

}  // namespace tend::health
