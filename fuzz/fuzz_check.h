// FUZZ_CHECK: an invariant a fuzzer asserts beyond "no crash". A broken one
// prints what failed and aborts, which libFuzzer reports as a crash and saves
// the input (crash-<sha1>) for a regression test.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                                   \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);  \
      std::abort();                                                                        \
    }                                                                                      \
  } while (0)
