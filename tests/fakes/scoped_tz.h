// ScopedTz: TZ set (or unset, for nullptr) for the life of the object, and the
// previous value back after; tzset() both times so localtime_r sees it.
#pragma once

#include <cstdlib>
#include <ctime>
#include <string>

namespace tend {

class ScopedTz {
 public:
  explicit ScopedTz(const char* tz) {
    const char* old = std::getenv("TZ");
    m_had = old != nullptr;
    if (m_had) {
      m_old = old;
    }
    if (tz == nullptr) {
      ::unsetenv("TZ");
    } else {
      ::setenv("TZ", tz, 1);
    }
    ::tzset();
  }
  ~ScopedTz() {
    if (m_had) {
      ::setenv("TZ", m_old.c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }
  ScopedTz(const ScopedTz&) = delete;
  ScopedTz& operator=(const ScopedTz&) = delete;

 private:
  bool m_had = false;
  std::string m_old;
};

}  // namespace tend
