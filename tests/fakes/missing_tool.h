// TEND_SKIP_MISSING(what): for a test that needs something from outside the
// repository (root, /usr/bin/python3, Python's supervisor module, a /proc of
// this PID namespace). Where it is missing the test skips; under TEND_STRICT=1
// (make test and CI, where scripts/install-deps.sh installed everything) it
// fails instead, because there a missing tool is a broken setup.
// Skips that are by design (e.g. "not meaningful under the sanitizers") use
// GTEST_SKIP() directly and stay skips.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

namespace tend::test_support {

inline bool strict_mode() {
  const char* v = std::getenv("TEND_STRICT");
  return v != nullptr && std::strcmp(v, "1") == 0;
}

}  // namespace tend::test_support

// Returns from the test body: use it there, not in a helper function.
#define TEND_SKIP_MISSING(what)                                                                        \
  do {                                                                                                 \
    if (::tend::test_support::strict_mode()) {                                                         \
      GTEST_FAIL() << "missing " << (what) << " (TEND_STRICT=1: scripts/install-deps.sh installs it)"; \
    }                                                                                                  \
    GTEST_SKIP() << "missing " << (what);                                                              \
  } while (0)
