// tend: a supervisord-compatible process supervisor and container init.
// The whole life of the daemon, in order.
#include <fmt/format.h>

#include "config/cli.h"
#include "config/loader.h"
#include "config/sample_config.h"
#include "daemon/daemon.h"
#include "init/init_main.h"
#include "util/version.h"

namespace {

bool invoked_as(const std::string& argv0, std::string_view name) {
  size_t slash = argv0.rfind('/');
  return std::string_view(argv0).substr(slash == std::string::npos ? 0 : slash + 1) == name;
}

int usage_error(const std::string& argv0, const std::string& msg) {
  fmt::print(stderr, "Error: {}\nFor help, use {} -h\n", msg, argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tend;
  const std::string argv0 = argc > 0 ? argv[0] : "tend";
  // make install-compat and the .deb install tend as supervisor's echo_supervisord_conf too
  // (Dockerfiles run `echo_supervisord_conf > /etc/supervisord.conf`): it prints the sample.
  if (invoked_as(argv0, "echo_supervisord_conf")) {
    fmt::print("{}", sample_config());
    return 0;
  }
  if (init::wants_init_mode(argc, argv)) {
    return init::init_main(argc, argv);  // tend [options] -- CMD ARGS...
  }
  // Signals before anything slow: reading the configuration can take a while
  // (includes, env files, a file on a slow disk or a FIFO), and a stray signal
  // then would end tend with its default action. From here on it stays pending
  // for the loop.
  if (Status st = take_over_daemon_signals(); !st) {
    fmt::print(stderr, "Error: {}\n", st.error());
    return 2;
  }
  Result<ServerCli> cli = parse_server_cli(argc, argv);
  if (!cli) {
    return usage_error(argv0, cli.error());
  }
  if (cli->action == ServerCli::Action::Help) {
    fmt::print("{}", server_help_text(argv0));
    return 0;
  }
  if (cli->action == ServerCli::Action::Version) {
    fmt::print("{}\n", tend::version());
    return 0;
  }
  if (cli->action == ServerCli::Action::SampleConfig) {
    fmt::print("{}", sample_config());
    return 0;
  }
  Result<std::string> path = locate_config(*cli, argv0);
  if (!path) {
    return usage_error(argv0, path.error());
  }
  // Loads and validates everything; the same function serves SIGHUP reloads.
  auto load = [opts = *cli, file = *path]() -> Result<Config> {
    LoadOptions lo;
    lo.path = file;
    lo.environ = current_environ();
    Result<Config> cfg = load_config(lo);
    if (cfg) {
      if (Status st = apply_cli_overrides(opts, *cfg); !st) {
        return make_error(st.error());
      }
    }
    return cfg;
  };
  Result<Config> cfg = load();
  if (!cfg) {
    fmt::print(stderr, "Error: {}\n", cfg.error());
    return 2;
  }
  return run_daemon(std::move(*cfg), load);
}
