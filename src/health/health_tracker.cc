#include "health/health_tracker.h"

#include <fmt/format.h>

namespace tend::health {

HealthTracker::HealthTracker(int retries) : m_retries(retries < 1 ? 1 : retries) {}

bool HealthTracker::record(const ProbeResult& r, bool in_start_period) {
  Health before = m_health;
  if (r.passed) {
    m_passed = true;
    m_failures = 0;
    m_health = Health::Healthy;
    m_detail.clear();
    return before != m_health;
  }
  if (in_start_period && !m_passed) {
    return false;
  }
  ++m_failures;
  if (m_failures >= m_retries) {
    m_health = Health::Unhealthy;
    m_detail = fmt::format("{} failure{}: {}", m_failures, m_failures == 1 ? "" : "s", r.error);
  }
  return before != m_health;
}

}  // namespace tend::health
