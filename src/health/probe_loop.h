// ProbeLoop: one check run again and again, one attempt at a time: the first
// after `first_delay`, each next one `interval` after the previous ended
// (Docker's spacing: a slow attempt never overlaps the next). Each attempt is
// bounded by `timeout`. Runs until destroyed, which cancels the attempt in
// flight.
#pragma once

#include <functional>
#include <memory>

#include "health/probe.h"
#include "sys/event_loop.h"

namespace tend::health {

class ProbeLoop {
 public:
  struct Timing {
    Duration first_delay{};
    Duration interval{};
    Duration timeout{};
  };
  // `on_result` gets every attempt's result and may destroy the loop.
  using OnResult = std::function<void(const ProbeResult&)>;
  ProbeLoop(EventLoop& loop, Prober& prober, ProbeSpec spec, ProbeContext ctx, Timing timing, OnResult on_result);
  ~ProbeLoop();
  ProbeLoop(const ProbeLoop&) = delete;
  ProbeLoop& operator=(const ProbeLoop&) = delete;

  const ProbeSpec& spec() const { return m_spec; }
  int attempts() const { return m_attempts; }

 private:
  void attempt();
  void attempt_done(const ProbeResult& r);

  EventLoop& m_loop;
  Prober& m_prober;
  ProbeSpec m_spec;
  ProbeContext m_ctx;
  Timing m_timing;
  OnResult m_on_result;
  std::unique_ptr<ProbeAttempt> m_attempt;
  EventLoop::TimerId m_timer = 0;
  int m_attempts = 0;
};

}  // namespace tend::health
