// KernelSigset: a signal set as the kernel holds it, bit sig-1 for signal sig
// (1..64), with the raw system calls that take one.
//
// glibc keeps signals 32 and 33 for itself and its sigset_t API refuses them:
// sigaddset fails with EINVAL and sigprocmask silently drops them from both
// SIG_BLOCK and SIG_SETMASK (checked with glibc 2.36, static and dynamic). Its
// signalfd() wrapper passes the mask through unchanged, but a sigset_t built
// with sigaddset can never hold them. Every mask that must hold 32 and 33 is a
// KernelSigset and goes through these calls.
#pragma once

#include <cstdint>

#include "util/result.h"

namespace tend {

using KernelSigset = uint64_t;

constexpr KernelSigset kernel_sigbit(int sig) { return KernelSigset{1} << (sig - 1); }

// rt_sigprocmask(how, set); `old` receives the previous mask when not null.
Status change_kernel_mask(int how, KernelSigset set, KernelSigset* old);

// signalfd4: a new signalfd for `set` when fd is -1, else replaces fd's set.
// Returns the fd, or -1 with errno set.
int kernel_signalfd(int fd, KernelSigset set, int flags);

}  // namespace tend
