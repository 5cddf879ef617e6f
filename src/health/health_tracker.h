// HealthTracker: a health check's results turned into a verdict, as pure
// counting. Unknown until decided; one pass makes the program Healthy (and
// resets the count); `retries` consecutive failures make it Unhealthy, with a
// detail such as "3 failures: connection refused" that follows the count
// while it stays unhealthy. A failure in the start period
// (healthcheck_start_period) does not count, until the first pass: from then
// on the program is up and every failure counts.
#pragma once

#include <string>

#include "core/process.h"
#include "health/probe.h"

namespace tend::health {

class HealthTracker {
 public:
  using Health = ProcessNotes::Health;
  // retries < 1 counts as 1.
  explicit HealthTracker(int retries);

  // Records one result. True when the health changed with it.
  bool record(const ProbeResult& r, bool in_start_period = false);

  Health health() const { return m_health; }
  // Empty unless Unhealthy.
  const std::string& detail() const { return m_detail; }
  int consecutive_failures() const { return m_failures; }

 private:
  int m_retries;
  int m_failures = 0;
  bool m_passed = false;  // once: the start period no longer excuses failures
  Health m_health = Health::Unknown;
  std::string m_detail;
};

}  // namespace tend::health
