// Command line of init mode: `tend [options] -- CMD [ARGS...]`.
//
// Everything before the first "--" argument is an option; everything after it
// is the command, taken verbatim (a second "--" is the program name, as with
// tini). A non-option word before "--" is a usage error. Usage errors exit 2,
// supervisord's usage code, which the config mode uses too.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace tend::init {

// What happens when the main child exits by itself while other descendants
// (its children, orphans reparented to tend, setsid daemons) still live.
enum class MainExitPolicy {
  k_sweep,  // TERM every descendant, KILL survivors after the grace, then exit
  k_wait,   // wait until every descendant has exited on its own, then exit
  k_exit,   // exit at once (tini); as PID 1 the kernel then SIGKILLs the rest
};

struct InitOptions {
  std::vector<std::string> command;  // argv of the main child; never empty after a successful parse
  std::set<int> remap_to_zero;       // -e CODE: these main-child exit codes become 0
  bool group = false;                // -g: forward to the main child's process group
  int pdeath_signal = 0;             // -p SIG: parent-death signal for tend itself; 0 = none
  int verbosity = 1;                 // 0 errors, 1 +warnings, 2 +info, 3 +debug
  bool warn_on_reap = false;         // -w: a warning line for every orphan reaped
  bool subreaper = true;             // --no-subreaper turns the default off (ignored as PID 1)
  double grace_seconds = 5.0;        // --grace: TERM-to-KILL delay of the tree stop
  MainExitPolicy on_main_exit = MainExitPolicy::k_sweep;
};

// The outcome of a parse that did not fail: either run, or print `text` on
// stdout and exit 0 (-h, --version).
struct ParsedArgs {
  bool run = true;
  std::string text;
  InitOptions options;
};

// Parses argv (argv[0] is the program name). `env_verbosity` is the value of
// TEND_VERBOSITY or nullptr; it sets the base level that each -v raises.
// Errors carry a one-line reason without the "tend: " prefix.
Result<ParsedArgs> parse_init_args(int argc, char** argv, const char* env_verbosity);

// The usage text, ending in a newline.
std::string init_usage();

Result<MainExitPolicy> parse_main_exit_policy(std::string_view s);
std::string_view main_exit_policy_name(MainExitPolicy p);

}  // namespace tend::init
