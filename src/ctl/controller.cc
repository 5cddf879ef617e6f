#include "ctl/controller.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>

namespace tend::ctl {

namespace {

constexpr std::string_view k_api_version = "3.0";

bool is_identchar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

std::string_view strip(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

std::vector<std::string> split_words(std::string_view s) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) {
      ++i;
    }
    size_t start = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) {
      ++i;
    }
    if (i > start) {
      words.emplace_back(s.substr(start, i - start));
    }
  }
  return words;
}

std::optional<int64_t> parse_py_int(std::string_view s) {
  s = strip(s);
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  std::string digits;
  for (size_t i = 0; i < s.size(); ++i) {
    // Python allows single underscores between digits ("1_000").
    if (s[i] == '_' && i > 0 && i + 1 < s.size() && s[i - 1] != '_') {
      continue;
    }
    digits += s[i];
  }
  int64_t v = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (digits.empty() || ec != std::errc() || p != digits.data() + digits.size()) {
    return std::nullopt;
  }
  return negative ? -v : v;
}

std::vector<std::string> columnize(const std::vector<std::string>& names, size_t width) {
  std::vector<std::string> lines;
  if (names.empty()) {
    return lines;
  }
  // Fewest rows whose columns (each as wide as its longest name, two spaces
  // apart) fit in `width`; one name per row if nothing fits.
  size_t rows = names.size();
  std::vector<size_t> widths;
  for (size_t r = 1; r <= names.size(); ++r) {
    size_t cols = (names.size() + r - 1) / r;
    std::vector<size_t> w(cols, 0);
    for (size_t i = 0; i < names.size(); ++i) {
      w[i / r] = std::max(w[i / r], utf8_length(names[i]));
    }
    size_t total = 2 * (cols - 1);
    for (size_t x : w) {
      total += x;
    }
    if (total <= width || r == names.size()) {
      rows = r;
      widths = w;
      break;
    }
  }
  for (size_t r = 0; r < rows; ++r) {
    std::string line;
    for (size_t c = 0; c < widths.size(); ++c) {
      size_t i = c * rows + r;
      if (i >= names.size()) {
        break;
      }
      if (c > 0) {
        line += "  ";
      }
      line += pad_right(names[i], widths[c]);
    }
    lines.push_back(line);
  }
  return lines;
}

const std::vector<Controller::Command>& Controller::commands() {
  static const std::vector<Command> k_commands = {
      {"add", &Controller::do_add, "add <group> [<group>...]\tMake configured but inactive groups active (see reread).", true},
      {"avail", &Controller::do_avail, "avail\t\t\tList every configured process, active or not.", true},
      {"clear", &Controller::do_clear, "clear <name>|all ...\tEmpty the log files of the named processes.", true},
      {"exit", &Controller::do_quit, "exit\tLeave the shell.", true},
      {"fg", &Controller::do_fg, "fg <name>\tAttach to a running process: show its output, send it your input.\n\t\tCtrl-C or end of input detaches.", true},
      {"maintail", &Controller::do_maintail, "maintail [-f|-N]\tShow the end of the server's main log\n\t\t\t(1600 bytes, or N bytes; -f keeps following, Ctrl-C stops).", true},
      {"open", &Controller::do_open, "open <url>\tSwitch to another server: http://host:port or unix:///path/to/socket.\nopen\t\tPrint the address of the server's web console.", true},
      {"pid", &Controller::do_pid, "pid\t\t\tPrint the server's own pid.\npid <name> ...\t\tPrint the pid of each named process (0 when not running).\npid all\t\t\tPrint the pid of every process.", true},
      {"quit", &Controller::do_quit, "quit\tLeave the shell.", true},
      {"reload", &Controller::do_reload, "reload\t\tMake the server restart itself and read its config again.", true},
      {"remove", &Controller::do_remove, "remove <group> [<group>...]\tDeactivate stopped groups (their config stays).", true},
      {"reread", &Controller::do_reread, "reread\t\t\tCompare the config file with the running config; change nothing.", true},
      {"restart", &Controller::do_restart, "restart <name>|<group>:*|all ...\tStop, then start again.\nThe config is not read again here: use reread and update for that.", true},
      {"shutdown", &Controller::do_shutdown, "shutdown\tStop every process and then the server.", true},
      {"signal", &Controller::do_signal, "signal <sig> <name>|<group>:*|all ...\tSend a signal (name or number) to processes.", true},
      {"start", &Controller::do_start, "start <name>|<group>:*|all ...\tStart processes, whole groups, or everything.", true},
      {"status", &Controller::do_status, "status\t\t\tShow every process.\nstatus <name>|<group>:* ...\tShow only the named processes or groups.", true},
      {"stop", &Controller::do_stop, "stop <name>|<group>:*|all ...\tStop processes, whole groups, or everything.", true},
      {"tail", &Controller::do_tail, "tail [-f|-N] <name> [stdout|stderr]\tShow the end of a process log (stdout unless named).\n\t\t\tDefault 1600 bytes, or N bytes; -f keeps following, Ctrl-C stops.", true},
      {"update", &Controller::do_update, "update [all|<group>...]\tApply config changes: add new groups, restart changed\n\t\t\tones, stop and remove the ones no longer configured.", true},
      {"version", &Controller::do_version, "version\t\t\tPrint the server's version.", true},
      {"health", &Controller::do_health, "health [<name>...]\tExit 0 when every autostart process (or each named one) is\n\t\t\tRUNNING, ready and healthy, or a one-shot job that completed;\n\t\t\telse exit 1, naming the others (for HEALTHCHECK and exec probes).", true},
      {"help", &Controller::do_help, "help\t\tList the commands.\nhelp <command>\tExplain one command.", false},
      {"EOF", &Controller::do_quit, "EOF\tEnd of input leaves the shell (Ctrl-D).", false},
  };
  return k_commands;
}

const Controller::Command* Controller::find_command(std::string_view name) {
  for (const Command& c : commands()) {
    if (name == c.name) {
      return &c;
    }
  }
  return nullptr;
}

Controller::Controller(CtlSettings settings, ControllerIo io, std::unique_ptr<RpcBackend> backend)
    : m_settings(std::move(settings)), m_io(std::move(io)), m_backend(std::move(backend)) {
  m_injected_backend = m_backend != nullptr;
  if (!m_injected_backend) {
    connect();
  }
}

void Controller::connect() {
  m_backend.reset();
  m_transport.reset();
  m_url_error.reset();
  Result<ServerUrl> url = parse_server_url(m_settings.serverurl);
  if (!url) {
    m_url_error = url.error();
    return;
  }
  std::optional<Credentials> creds;
  if (m_settings.username && m_settings.password) {
    creds = Credentials{*m_settings.username, *m_settings.password};
  }
  m_transport = std::make_unique<Transport>(std::move(*url), std::move(creds));
  m_backend = std::make_unique<RpcClient>(*m_transport);
}

Reply Controller::call(const std::string& method, rpc::Array params) {
  if (!m_backend) {
    return TransportError{TransportError::Kind::Protocol, 0, 0, {},
                          m_url_error.value_or("no server configured")};
  }
  return m_backend->call(method, params);
}

void Controller::output(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), m_io.out);
  std::fputc('\n', m_io.out);
  std::fflush(m_io.out);
}

void Controller::raise_message(const std::string& message) {
  output("error: " + message);
  m_exit = k_exit_generic;
}

void Controller::raise(const Reply& r, std::string_view method) {
  m_exit = k_exit_generic;
  if (r.is_fault()) {
    raise_message(fmt::format("unable to call {}: {} (fault {})", method, r.fault().string,
                              r.fault().code));
    return;
  }
  if (r.is_error()) {
    const TransportError& e = r.error();
    if (e.kind == TransportError::Kind::Http && e.http_status == 401) {
      // onecmd reports it once the command has unwound.
      m_auth_required = true;
      return;
    }
    if (e.kind == TransportError::Kind::Http) {
      raise_message(fmt::format("unable to call {}: HTTP {} {}", method, e.http_status, e.reason));
      return;
    }
    raise_message(e.message);
    return;
  }
  raise_message(fmt::format("unexpected reply to {}", method));
}

Controller::Up Controller::upcheck() {
  Reply r = call("supervisor.getVersion");
  if (r.ok()) {
    std::string api = r.value().is_string() ? r.value().as_string() : "(not a string)";
    if (api != k_api_version) {
      output(fmt::format("Sorry, the server speaks XML-RPC API version {}, and this tendctl needs "
                         "version {}.",
                         api, k_api_version));
      m_exit = k_exit_not_installed;
      return Up::Failed;
    }
    return Up::Ok;
  }
  if (r.is_fault(fault::k_unknown_method)) {
    output("Sorry, the server answered but does not know the supervisor.* methods tendctl "
           "needs. Check that its config has an [rpcinterface:supervisor] section.");
    m_exit = k_exit_unimplemented;
    return Up::Failed;
  }
  if (r.is_error() && r.error().kind == TransportError::Kind::Connect) {
    if (r.error().sys_errno == ECONNREFUSED) {
      output(fmt::format("{} refused connection", m_settings.serverurl));
      m_exit = k_exit_insufficient_privileges;
      return Up::Failed;
    }
    if (r.error().sys_errno == ENOENT) {
      output(fmt::format("{} no such file", m_settings.serverurl));
      m_exit = k_exit_not_running;
      return Up::Failed;
    }
  }
  raise(r, "supervisor.getVersion");
  return Up::Raised;
}

void Controller::print_help(std::string_view name) {
  const Command* c = find_command(name);
  if (c != nullptr) {
    output(c->help);
  }
}

void Controller::usage_error(std::string_view message, std::string_view command, int status) {
  output(message);
  m_exit = status;
  print_help(command);
}

bool Controller::confirm(const std::string& question) {
  if (!m_io.read_line) {
    return false;
  }
  std::optional<std::string> answer = m_io.read_line(question);
  if (!answer) {
    output("");
    return false;
  }
  std::string_view a = *answer;
  return !a.empty() && (a.front() == 'y' || a.front() == 'Y');
}

bool Controller::onecmd(const std::string& raw) {
  std::string line(strip(raw));
  if (line.empty()) {
    return false;
  }
  if (line.front() == '?') {
    line = "help " + line.substr(1);
  }
  size_t i = 0;
  while (i < line.size() && is_identchar(line[i])) {
    ++i;
  }
  std::string name = line.substr(0, i);
  std::string arg(strip(std::string_view(line).substr(i)));
  const Command* c = name.empty() ? nullptr : find_command(name);
  if (c == nullptr) {
    output("*** Unknown syntax: " + line);
    m_exit = k_exit_generic;
    return false;
  }
  m_auth_required = false;
  m_quit = false;
  (this->*(c->run))(arg);
  if (m_auth_required) {
    m_auth_required = false;
    output("Server requires authentication");
    m_exit = k_exit_generic;
    if (is_interactive() && m_io.read_line && m_io.read_secret) {
      std::optional<std::string> user = m_io.read_line("Username:");
      std::optional<std::string> pass = user ? m_io.read_secret("Password:") : std::nullopt;
      output("");
      if (user && pass) {
        m_settings.username = *user;
        m_settings.password = *pass;
        if (m_transport) {
          m_transport->set_credentials(Credentials{*user, *pass});
        }
        return onecmd(line);
      }
      return false;
    }
    raise_message(fmt::format("unable to talk to {}: HTTP 401 Unauthorized", m_settings.serverurl));
  }
  return m_quit;
}

void Controller::run_shell() {
  onecmd("status");
  std::string prompt = m_settings.prompt + "> ";
  while (true) {
    std::optional<std::string> line = m_io.read_line ? m_io.read_line(prompt) : std::nullopt;
    if (!line) {
      output("");
      return;
    }
    if (onecmd(*line)) {
      return;
    }
  }
}

void Controller::do_quit(const std::string& /*arg*/) {
  output("");
  m_quit = true;
}

void Controller::do_help(const std::string& arg) {
  std::string topic(strip(arg));
  if (!topic.empty()) {
    const Command* c = find_command(topic);
    if (c == nullptr) {
      output("*** No help on " + topic);
      return;
    }
    output(c->help);
    return;
  }
  std::vector<std::string> names;
  for (const Command& c : commands()) {
    if (c.listed) {
      names.emplace_back(c.name);
    }
  }
  std::sort(names.begin(), names.end());
  output("");
  std::string header = "commands (type help <command> for details):";
  output(header);
  output(std::string(header.size(), '='));
  for (const std::string& l : columnize(names, 79)) {
    output(l);
  }
  output("");
}

}  // namespace tend::ctl
