#include "init/options.h"

#include <getopt.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "init/signals.h"
#include "util/version.h"

namespace tend::init {

namespace {

constexpr double k_max_grace_seconds = 86400.0;
constexpr int k_max_verbosity = 3;

enum LongOnly { k_opt_grace = 256, k_opt_on_main_exit, k_opt_no_subreaper, k_opt_version };

bool parse_int(std::string_view s, int* out) {
  if (s.empty()) {
    return false;
  }
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

Result<double> parse_grace(const char* s) {
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s, &end);
  if (*s == '\0' || *end != '\0' || errno != 0 || !std::isfinite(v) || v < 0 || v > k_max_grace_seconds) {
    return make_error(fmt::format("invalid --grace '{}': expected seconds between 0 and {}", s, k_max_grace_seconds));
  }
  return v;
}

// Applies one option; `arg` is optarg or nullptr.
Status apply_option(int opt, const char* arg, InitOptions* o, ParsedArgs* out) {
  switch (opt) {
    case 'e': {
      int code = -1;
      if (!parse_int(arg, &code) || code < 0 || code > 255) {
        return make_error(fmt::format("invalid exit code '{}' for -e: expected 0..255", arg));
      }
      o->remap_to_zero.insert(code);
      return ok_status();
    }
    case 'g':
      o->group = true;
      return ok_status();
    case 'p': {
      Result<int> sig = parse_signal(arg);
      if (!sig.ok()) {
        return make_error(fmt::format("{} for -p", sig.error()));
      }
      o->pdeath_signal = *sig;
      return ok_status();
    }
    case 'v':
      o->verbosity = std::min(o->verbosity + 1, k_max_verbosity);
      return ok_status();
    case 'w':
      o->warn_on_reap = true;
      return ok_status();
    case 's':  // tini's "register as subreaper": already the default
      o->subreaper = true;
      return ok_status();
    case k_opt_no_subreaper:
      o->subreaper = false;
      return ok_status();
    case k_opt_grace: {
      Result<double> g = parse_grace(arg);
      if (!g.ok()) {
        return make_error(g.error());
      }
      o->grace_seconds = *g;
      return ok_status();
    }
    case k_opt_on_main_exit: {
      Result<MainExitPolicy> p = parse_main_exit_policy(arg);
      if (!p.ok()) {
        return make_error(p.error());
      }
      o->on_main_exit = *p;
      return ok_status();
    }
    case 'h':
      out->run = false;
      out->text = init_usage();
      return ok_status();
    case k_opt_version:
      out->run = false;
      out->text = fmt::format("tend {}\n", version());
      return ok_status();
    default:
      return make_error("internal: unhandled option");
  }
}

}  // namespace

std::string init_usage() {
  return "usage: tend [options] -- CMD [ARGS...]\n"
         "Run CMD as the main child of a container init: reap every orphan, forward\n"
         "signals, stop the whole process tree gracefully, exit with CMD's status.\n"
         "\n"
         "  -e CODE             exit 0 when CMD exits with CODE (repeatable)\n"
         "  -g                  forward signals to CMD's process group, not only CMD\n"
         "  -p SIG              parent-death signal for tend (forwarded like any other)\n"
         "  -v                  more messages on stderr (repeatable; TEND_VERBOSITY=N)\n"
         "  -w                  warn on every orphan reaped\n"
         "  -s                  register as a child subreaper (the default when not PID 1)\n"
         "  --no-subreaper      do not register as a child subreaper\n"
         "  --grace SECONDS     TERM-to-KILL delay when stopping the tree (default 5)\n"
         "  --on-main-exit=sweep|wait|exit\n"
         "                      when CMD exits while other processes live: stop them\n"
         "                      gracefully (default), wait for them, or exit at once\n"
         "  -h, --help          show this help\n"
         "  --version           show the version\n"
         "\n"
         "Exit status: CMD's, 128+N if CMD was killed by signal N, 127 if CMD was not\n"
         "found, 126 if it could not be executed, 2 on a usage error.\n";
}

Result<MainExitPolicy> parse_main_exit_policy(std::string_view s) {
  if (s == "sweep") {
    return MainExitPolicy::k_sweep;
  }
  if (s == "wait") {
    return MainExitPolicy::k_wait;
  }
  if (s == "exit") {
    return MainExitPolicy::k_exit;
  }
  return make_error(fmt::format("invalid --on-main-exit '{}': expected sweep, wait or exit", s));
}

std::string_view main_exit_policy_name(MainExitPolicy p) {
  switch (p) {
    case MainExitPolicy::k_sweep:
      return "sweep";
    case MainExitPolicy::k_wait:
      return "wait";
    case MainExitPolicy::k_exit:
      return "exit";
  }
  return "?";
}

Result<ParsedArgs> parse_init_args(int argc, char** argv, const char* env_verbosity) {
  ParsedArgs out;
  InitOptions& o = out.options;
  if (env_verbosity != nullptr && *env_verbosity != '\0') {
    int v = 0;
    if (!parse_int(env_verbosity, &v) || v < 0) {
      return make_error(fmt::format("invalid TEND_VERBOSITY '{}': expected a number >= 0", env_verbosity));
    }
    o.verbosity = std::min(v, k_max_verbosity);
  }

  int dashdash = 1;
  while (dashdash < argc && std::strcmp(argv[dashdash], "--") != 0) {
    ++dashdash;
  }

  static const option k_long[] = {
      {"grace", required_argument, nullptr, k_opt_grace},
      {"on-main-exit", required_argument, nullptr, k_opt_on_main_exit},
      {"no-subreaper", no_argument, nullptr, k_opt_no_subreaper},
      {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, k_opt_version},
      {nullptr, 0, nullptr, 0},
  };
  // getopt keeps global state: optind = 0 forces a full re-initialisation so
  // that repeated parses (tests) start clean. opterr = 0: we word the errors.
  optind = 0;
  opterr = 0;
  while (true) {
    int opt = getopt_long(dashdash, argv, "+:e:gp:vwsh", k_long, nullptr);
    if (opt == -1) {
      break;
    }
    const char* current = argv[optind - 1];
    if (opt == '?') {
      if (optopt != 0) {
        return make_error(fmt::format("unknown option '-{}'", static_cast<char>(optopt)));
      }
      return make_error(fmt::format("unknown option '{}'", current));
    }
    if (opt == ':') {
      if (optopt != 0 && optopt < 256) {
        return make_error(fmt::format("option '-{}' needs an argument", static_cast<char>(optopt)));
      }
      return make_error(fmt::format("option '{}' needs an argument", current));
    }
    Status s = apply_option(opt, optarg, &o, &out);
    if (!s.ok()) {
      return make_error(s.error());
    }
    if (!out.run) {
      return out;
    }
  }
  if (optind < dashdash) {
    return make_error(fmt::format("unexpected argument '{}' before '--'", argv[optind]));
  }
  if (dashdash >= argc) {
    return make_error("missing '--' before the command");
  }
  for (int i = dashdash + 1; i < argc; ++i) {
    o.command.emplace_back(argv[i]);
  }
  if (o.command.empty()) {
    return make_error("no command after '--'");
  }
  return out;
}

}  // namespace tend::init
