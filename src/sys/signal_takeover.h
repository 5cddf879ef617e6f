// Signal takeover: tend blocks every catchable signal and reads them from the
// event loop's signalfd, so that no signal it does not act on can end or stop
// it, in either mode, PID 1 or not. Both modes call take_over_signals() before
// anything else (before the first fork), then route catchable_signals() to
// their handler with route_catchable_signals().
//
// Reserved signals: glibc keeps 32 and 33 for itself and hides them from its
// API (kernel_sigset.h), yet a `kill -32` from outside kills a process that has
// not blocked them: glibc 2.36 installs no handler for them in a program that
// never started a thread. tend never does, so blocking them cannot starve
// glibc's own cancellation or set*id broadcasts.
//
// Faults: a genuine SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP or SIGSYS still
// kills tend. The kernel delivers a fault with force_sig_fault(), which unblocks
// the signal and resets it to SIG_DFL when it is blocked or ignored, so blocking
// only diverts the same signals sent with kill(2). abort() unblocks SIGABRT and
// falls back to SIG_DFL before raising it, so a failed assertion still aborts.
// signal_takeover_test.cc checks both.
#pragma once

#include <sys/signalfd.h>
#include <sys/types.h>

#include <vector>

#include "sys/event_loop.h"
#include "sys/kernel_sigset.h"
#include "util/result.h"

namespace tend {

// Every signal a process can catch, ascending: 1..64 without SIGKILL and
// SIGSTOP, glibc's reserved 32 and 33 included, then SIGRTMIN..SIGRTMAX.
std::vector<int> catchable_signals();
// The same signals as a mask.
KernelSigset catchable_sigset();

// What tend was started with, for children that must start the same way
// (init mode's transparency rule). Handlers cannot survive exec, so the mask
// and the ignores are all there is to restore.
struct OriginalSignalState {
  KernelSigset mask = 0;     // the signal mask at entry
  std::vector<int> ignored;  // catchable signals that were SIG_IGN at entry
};

// Saves the mask and the ignores, then blocks every catchable signal and
// resets the saved ignores to SIG_DFL, in that order so that no signal can take
// its default action in between. An ignored signal must not stay ignored: a
// blocked one is queued either way, but ignoring SIGCHLD makes the kernel reap
// children itself, and unblocking an ignored signal discards it.
// Fails only if the kernel refuses the mask (it never does for valid input).
Result<OriginalSignalState> take_over_signals();

// For a forked child before exec: puts back the original ignores, then the
// original mask. Raw system calls only, so it is safe after fork.
void restore_original_signals(const OriginalSignalState& original);

// Registers cb for every catchable signal on the loop's signalfd.
Status route_catchable_signals(EventLoop& loop, const EventLoop::SignalCallback& cb);

// True for a signal tend sent to itself (kill/raise/tgkill from tend, or the
// SIGPIPE of a write to a closed pipe): tend's business, never a request from
// outside and never something to forward.
bool raised_by_self(const signalfd_siginfo& info, pid_t self);

}  // namespace tend
