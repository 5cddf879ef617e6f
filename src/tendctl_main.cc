// tendctl: a command-line client for tend and supervisord, compatible with
// supervisorctl. `tendctl [options] command [args]` runs one command and
// exits with its status; with no command it opens an interactive shell.
#include <termios.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "ctl/controller.h"
#include "ctl/interrupt.h"
#include "ctl/options.h"
#include "util/version.h"

namespace {

// Prints the prompt, then reads one line from fd 0 byte by byte (so nothing
// is buffered away from `fg`, which reads fd 0 directly). nullopt at EOF or
// on Ctrl-C.
std::optional<std::string> read_line(const std::string& prompt) {
  std::fputs(prompt.c_str(), stdout);
  std::fflush(stdout);
  tend::ctl::InterruptScope scope;
  std::string line;
  while (true) {
    char c = 0;
    ssize_t n = ::read(0, &c, 1);
    if (n < 0 && errno == EINTR && !tend::ctl::InterruptScope::interrupted()) {
      continue;
    }
    if (n <= 0) {
      if (n == 0 && !line.empty()) {
        return line;
      }
      return std::nullopt;
    }
    if (c == '\n') {
      if (!line.empty() && line.back() == '\r') {
        line.pop_back();
      }
      return line;
    }
    line += c;
  }
}

// read_line with terminal echo off when stdin is a terminal.
std::optional<std::string> read_secret(const std::string& prompt) {
  termios old {};
  bool tty = ::isatty(0) != 0 && ::tcgetattr(0, &old) == 0;
  if (tty) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(0, TCSAFLUSH, &quiet);
  }
  std::optional<std::string> line = read_line(prompt);
  if (tty) {
    ::tcsetattr(0, TCSAFLUSH, &old);
    std::fputs("\n", stdout);
  }
  return line;
}

int usage_error(const std::string& progname, const std::string& message) {
  fmt::print(stderr, "Error: {}\nFor help, use {} -h\n", message, progname);
  return tend::ctl::k_exit_invalid_args;
}

}  // namespace

int main(int argc, char** argv) {
  std::string progname = argc > 0 ? argv[0] : "tendctl";
  std::vector<std::string> args(argv + std::min(argc, 1), argv + argc);

  tend::Result<tend::ctl::CliOptions> cli = tend::ctl::parse_cli(args);
  if (!cli) {
    return usage_error(progname, cli.error());
  }
  if (cli->help) {
    std::fputs(tend::ctl::usage_text(progname).c_str(), stdout);
    return tend::ctl::k_exit_success;
  }
  if (cli->version) {
    fmt::print("{}\n", tend::version());
    return tend::ctl::k_exit_success;
  }
  tend::Result<tend::ctl::CtlSettings> settings = tend::ctl::resolve_settings(*cli, progname);
  if (!settings) {
    return usage_error(progname, settings.error());
  }

  bool terminal = ::isatty(1) != 0;
  bool colour = tend::ctl::use_colour(cli->color, std::getenv("NO_COLOR"), terminal);
  tend::ctl::ControllerIo io{stdout, colour, read_line, read_secret, 0, terminal};
  std::vector<std::string> command = settings->args;
  tend::ctl::Controller controller(std::move(*settings), io);
  if (!command.empty()) {
    std::string line;
    for (const std::string& word : command) {
      line += (line.empty() ? "" : " ") + word;
    }
    controller.onecmd(line);
    return controller.exit_status();
  }
  controller.run_shell();
  return tend::ctl::k_exit_success;  // the shell always exits 0
}
