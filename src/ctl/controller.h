// The tendctl command interpreter: one command line in, supervisorctl's
// output and exit status out. Commands talk to the server through an
// RpcBackend (XML-RPC) and, for tail -f / maintail -f / fg, HTTP streams.
//
// Error model (mirrors supervisorctl): a fault or transport failure a command
// does not expect prints "error: <what>" and sets the exit status to 1; the
// command then stops. An HTTP 401 prints "Server requires authentication";
// in interactive mode the user is asked for credentials and the line re-runs.
#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ctl/format.h"
#include "ctl/options.h"
#include "ctl/rpc_client.h"
#include "ctl/transport.h"

namespace tend::ctl {

struct ControllerIo {
  std::FILE* out = stdout;
  bool colour = false;  // colour state names (use_colour: a terminal, NO_COLOR, --color)
  // Prints `prompt` and reads one line without its newline; nullopt at EOF
  // or when interrupted.
  std::function<std::optional<std::string>(const std::string& prompt)> read_line;
  // Same, without echo (for passwords).
  std::function<std::optional<std::string>(const std::string& prompt)> read_secret;
  // The fd fg reads user input from.
  int input_fd = 0;
  // stdout is a terminal: status adds a health column where tend has
  // something to say (checks, dependencies).
  bool terminal = false;
};

class Controller {
 public:
  // `backend` replaces the XML-RPC client built from settings.serverurl (tests).
  Controller(CtlSettings settings, ControllerIo io, std::unique_ptr<RpcBackend> backend = nullptr);

  // Runs one command line. Returns true when the line ends the shell
  // (quit, exit, EOF).
  bool onecmd(const std::string& line);
  // The interactive shell: `status` first, then prompt/read/run until EOF,
  // quit or exit (or Ctrl-C at the prompt).
  void run_shell();
  int exit_status() const { return m_exit; }

 private:
  using Handler = void (Controller::*)(const std::string& arg);
  struct Command {
    const char* name;
    Handler run;
    const char* help;  // shown by `help <name>` and after a usage error
    bool listed;       // shown in the `help` table
  };
  static const std::vector<Command>& commands();
  static const Command* find_command(std::string_view name);

  enum class Up { Ok, Failed, Raised };

  // Plumbing (controller.cc).
  void connect();
  Reply call(const std::string& method, rpc::Array params = {});
  Up upcheck();
  // Reports an unexpected reply the way an uncaught exception would.
  void raise(const Reply& r, std::string_view method);
  void raise_message(const std::string& message);
  void output(std::string_view text);
  void print_help(std::string_view name);
  void usage_error(std::string_view message, std::string_view command, int status);
  bool confirm(const std::string& question);
  bool is_interactive() const { return m_settings.interactive; }

  // Process commands (commands_process.cc).
  void do_status(const std::string& arg);
  void do_start(const std::string& arg);
  void do_stop(const std::string& arg);
  void do_restart(const std::string& arg);
  void do_signal(const std::string& arg);
  void do_pid(const std::string& arg);
  void do_clear(const std::string& arg);
  void do_health(const std::string& arg);
  // From tend.getAllProcessHealth: whether each EXITED row ended as expected
  // and, when `shown` is given, the health column where status should show it
  // (*shown is then set). A server without tend.* changes nothing.
  void add_health_column(std::vector<StatusRow>& rows, bool* shown);
  // Emits result lines for a group/all reply; false after a bad result (already reported).
  bool show_results(const Reply& r, std::string_view method, int kind, std::optional<int> ignored);

  // Server and config commands (commands_server.cc).
  void do_avail(const std::string& arg);
  void do_reread(const std::string& arg);
  void do_update(const std::string& arg);
  void do_add(const std::string& arg);
  void do_remove(const std::string& arg);
  void do_reload(const std::string& arg);
  void do_shutdown(const std::string& arg);
  void do_version(const std::string& arg);
  void do_open(const std::string& arg);

  // Log commands (commands_log.cc).
  void do_tail(const std::string& arg);
  void do_maintail(const std::string& arg);
  void do_fg(const std::string& arg);
  // fg's loop: log streams to the output, input lines to the process's stdin.
  void fg_session(const std::string& name);
  // Sends one input line; false when the session is over (already reported).
  bool fg_send(const std::string& name, const std::string& line);
  void follow(const std::string& path);

  // Shell commands (controller.cc).
  void do_help(const std::string& arg);
  void do_quit(const std::string& arg);

  CtlSettings m_settings;
  ControllerIo m_io;
  std::unique_ptr<Transport> m_transport;
  std::unique_ptr<RpcBackend> m_backend;
  std::optional<std::string> m_url_error;  // set when serverurl cannot be used
  bool m_injected_backend = false;
  bool m_auth_required = false;  // a 401 came back during the current command
  bool m_quit = false;
  int m_exit = k_exit_success;
};

// Python's int() on a command argument ("-100" -> -100, " 7" -> 7).
std::optional<int64_t> parse_py_int(std::string_view s);
// Python's str.split() with no arguments.
std::vector<std::string> split_words(std::string_view s);
// cmd.Cmd's columnize: names laid out in as few rows as fit `width`.
std::vector<std::string> columnize(const std::vector<std::string>& names, size_t width);

}  // namespace tend::ctl
