// FakeProber: a Prober (health/probe.h) whose attempts end when the test says
// so. Every start() is recorded; finish(i, result) ends attempt i (if it is
// still wanted). Attempts destroyed by their owner are marked cancelled.
#pragma once

#include <memory>
#include <vector>

#include "health/probe.h"

namespace tend::health {

class FakeProber final : public Prober {
 public:
  struct Started {
    ProbeSpec spec;
    ProbeContext ctx;
    Duration timeout;
    ProbeDone done;
    bool cancelled = false;
    bool finished = false;
  };

  std::unique_ptr<ProbeAttempt> start(const ProbeSpec& spec, const ProbeContext& ctx, Duration timeout,
                                      ProbeDone done) override {
    auto s = std::make_shared<Started>(Started{spec, ctx, timeout, std::move(done)});
    started.push_back(s);
    return std::make_unique<Attempt>(s);
  }

  // Ends the latest attempt (which must be in flight) with `r`.
  void finish_last(const ProbeResult& r) { finish(started.size() - 1, r); }
  void finish(size_t i, const ProbeResult& r) {
    std::shared_ptr<Started> s = started.at(i);
    if (s->cancelled || s->finished) {
      return;
    }
    s->finished = true;
    ProbeDone done = s->done;
    done(r);
  }
  // Attempts started and neither finished nor cancelled.
  size_t in_flight() const {
    size_t n = 0;
    for (const auto& s : started) {
      n += !s->cancelled && !s->finished;
    }
    return n;
  }

  std::vector<std::shared_ptr<Started>> started;

 private:
  class Attempt final : public ProbeAttempt {
   public:
    explicit Attempt(std::shared_ptr<Started> s) : m_s(std::move(s)) {}
    ~Attempt() override {
      if (!m_s->finished) {
        m_s->cancelled = true;
      }
    }

   private:
    std::shared_ptr<Started> m_s;
  };
};

}  // namespace tend::health
