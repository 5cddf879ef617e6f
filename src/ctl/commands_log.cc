// tail, maintail, fg: reading logs, once (XML-RPC) or following them (HTTP
// GET /logtail/<name>/<channel> and /mainlogtail, which never end by themselves).
#include <poll.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>

#include "ctl/controller.h"
#include "ctl/interrupt.h"

namespace tend::ctl {

namespace {

constexpr int64_t k_default_tail_bytes = 1600;

// Python's repr() of a short str, for "Error: bad channel 'x'".
std::string quoted(const std::string& s) {
  bool has_single = s.find('\'') != std::string::npos;
  char q = has_single && s.find('"') == std::string::npos ? '"' : '\'';
  std::string out(1, q);
  for (char c : s) {
    if (c == q || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + q;
}

// The name goes into a URL path; the server decodes %XX.
std::string url_escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c <= 0x20 || c >= 0x7f || c == '%' || c == '?' || c == '#') {
      out += fmt::format("%{:02X}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void write_out(std::FILE* out, std::string_view data) {
  std::fwrite(data.data(), 1, data.size(), out);
  std::fflush(out);
}

}  // namespace

void Controller::follow(const std::string& path) {
  output("==> Press Ctrl-C to exit <==");
  if (!m_transport) {
    std::fprintf(stderr, "%s\n", m_url_error.value_or("no server configured").c_str());
    return;
  }
  InterruptScope scope;
  std::FILE* out = m_io.out;
  std::variant<HttpStream, TransportError> opened = HttpStream::open(
      m_transport->url(), path, m_transport->credentials(),
      [out](std::string_view d) { write_out(out, d); });
  if (auto* err = std::get_if<TransportError>(&opened)) {
    // Like supervisorctl: the failure goes to stderr and the exit status stays.
    std::fprintf(stderr, "%s\n", err->message.c_str());
    return;
  }
  HttpStream& stream = std::get<HttpStream>(opened);
  while (true) {
    std::variant<HttpStream::State, TransportError> st = stream.pump();
    if (auto* err = std::get_if<TransportError>(&st)) {
      std::fprintf(stderr, "%s\n", err->message.c_str());
      return;
    }
    HttpStream::State s = std::get<HttpStream::State>(st);
    if (s == HttpStream::State::Ended) {
      return;
    }
    if (s == HttpStream::State::Interrupted || InterruptScope::interrupted()) {
      output("");
      return;
    }
  }
}

void Controller::do_tail(const std::string& arg) {
  if (upcheck() != Up::Ok) {
    return;
  }
  std::vector<std::string> args = split_words(arg);
  if (args.empty()) {
    usage_error("Error: too few arguments", "tail", k_exit_generic);
    return;
  }
  if (args.size() > 3) {
    usage_error("Error: too many arguments", "tail", k_exit_generic);
    return;
  }
  std::optional<std::string> modifier;
  if (args.front().front() == '-') {
    modifier = args.front();
    args.erase(args.begin());
  }
  std::string name;
  std::string channel = "stdout";
  if (args.size() == 1) {
    name = args.back();
  } else if (!args.empty()) {
    name = args.front();
    channel = args.back();
    for (char& c : channel) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (channel != "stderr" && channel != "stdout") {
      output("Error: bad channel " + quoted(channel));
      m_exit = k_exit_generic;
      return;
    }
  } else {
    output("Error: tail requires process name");
    m_exit = k_exit_generic;
    return;
  }
  int64_t bytes = k_default_tail_bytes;
  if (modifier) {
    std::string what = modifier->substr(1);
    if (what == "f") {
      follow(fmt::format("/logtail/{}/{}", url_escape(name), channel));
      return;
    }
    std::optional<int64_t> n = parse_py_int(what);
    if (!n) {
      output("Error: bad argument " + *modifier);
      m_exit = k_exit_generic;
      return;
    }
    bytes = *n;
  }
  std::string method =
      channel == "stdout" ? "supervisor.readProcessStdoutLog" : "supervisor.readProcessStderrLog";
  Reply r = call(method, {rpc::Value(name), rpc::Value(-bytes), rpc::Value(0)});
  if (r.is_fault()) {
    int code = r.fault().code;
    std::string_view what = code == fault::k_no_file  ? "no log file"
                            : code == fault::k_failed ? "unknown error reading log"
                            : code == fault::k_bad_name ? "no such process name"
                                                        : "";
    if (!what.empty()) {
      m_exit = k_exit_generic;
      output(fmt::format("{}: ERROR ({})", name, what));
      return;
    }
  }
  if (!r.ok() || !r.value().is_string()) {
    raise(r, method);
    return;
  }
  output(r.value().as_string());
}

void Controller::do_maintail(const std::string& arg) {
  if (upcheck() != Up::Ok) {
    return;
  }
  std::vector<std::string> args = split_words(arg);
  int64_t bytes = k_default_tail_bytes;
  if (args.size() > 1) {
    usage_error("Error: too many arguments", "maintail", k_exit_generic);
    return;
  }
  if (args.size() == 1) {
    if (args[0].front() != '-') {
      output("Error: bad argument " + args[0]);
      m_exit = k_exit_generic;
      return;
    }
    std::string what = args[0].substr(1);
    if (what == "f") {
      follow("/mainlogtail");
      return;
    }
    std::optional<int64_t> n = parse_py_int(what);
    if (!n) {
      output("Error: bad argument " + args[0]);
      m_exit = k_exit_generic;
      return;
    }
    bytes = *n;
  }
  Reply r = call("supervisor.readLog", {rpc::Value(-bytes), rpc::Value(0)});
  if (r.is_fault(fault::k_no_file) || r.is_fault(fault::k_failed)) {
    m_exit = k_exit_generic;
    output(fmt::format("supervisord: ERROR ({})", r.fault().code == fault::k_no_file
                                                       ? "no log file"
                                                       : "unknown error reading log"));
    return;
  }
  if (!r.ok() || !r.value().is_string()) {
    raise(r, "supervisor.readLog");
    return;
  }
  output(r.value().as_string());
}

void Controller::do_fg(const std::string& arg) {
  if (upcheck() != Up::Ok) {
    return;
  }
  std::vector<std::string> names = split_words(arg);
  if (names.empty()) {
    usage_error("ERROR: no process name supplied", "fg", k_exit_generic);
    return;
  }
  if (names.size() > 1) {
    output("ERROR: too many process names supplied");
    m_exit = k_exit_generic;
    return;
  }
  const std::string& name = names[0];
  Reply info = call("supervisor.getProcessInfo", {rpc::Value(name)});
  if (info.is_fault(fault::k_bad_name)) {
    output("ERROR: bad process name supplied");
    m_exit = k_exit_generic;
    return;
  }
  if (info.is_fault()) {
    output(fmt::format("ERROR: {}", info.fault().string));
    return;
  }
  if (!info.ok()) {
    raise(info, "supervisor.getProcessInfo");
    return;
  }
  if (member_int(info.value(), "state") != state::k_running) {
    output("ERROR: process not running");
    m_exit = k_exit_generic;
    return;
  }
  output("==> Press Ctrl-C to exit <==");
  if (m_transport) {
    fg_session(name);
  }
}

bool Controller::fg_send(const std::string& name, const std::string& line) {
  Reply r = call("supervisor.sendProcessStdin", {rpc::Value(name), rpc::Value(line + "\n")});
  if (r.is_fault()) {
    output(r.fault().code == fault::k_not_running ? std::string("Process got killed")
                                                  : "ERROR: " + r.fault().string);
    output("Exiting foreground");
    return false;
  }
  if (!r.ok()) {
    raise(r, "supervisor.sendProcessStdin");
    return false;
  }
  Reply now = call("supervisor.getProcessInfo", {rpc::Value(name)});
  if (!now.ok()) {
    raise(now, "supervisor.getProcessInfo");
    return false;
  }
  if (member_int(now.value(), "state") != state::k_running) {
    output("Process got killed");
    output("Exiting foreground");
    return false;
  }
  return true;
}

void Controller::fg_session(const std::string& name) {
  InterruptScope scope;
  std::FILE* out = m_io.out;
  std::vector<HttpStream> streams;
  for (const char* channel : {"stdout", "stderr"}) {
    std::variant<HttpStream, TransportError> s =
        HttpStream::open(m_transport->url(), fmt::format("/logtail/{}/{}", url_escape(name), channel),
                         m_transport->credentials(), [out](std::string_view d) { write_out(out, d); });
    if (auto* err = std::get_if<TransportError>(&s)) {
      std::fprintf(stderr, "%s\n", err->message.c_str());
      continue;
    }
    streams.push_back(std::move(std::get<HttpStream>(s)));
  }
  std::vector<bool> live(streams.size(), true);
  std::string pending;  // user input not yet ended by a newline
  while (true) {
    // fds[0] is the user's input; the rest are the log streams still open.
    std::vector<pollfd> fds{pollfd{m_io.input_fd, POLLIN, 0}};
    std::vector<size_t> which;
    for (size_t i = 0; i < streams.size(); ++i) {
      if (live[i]) {
        fds.push_back(pollfd{streams[i].fd(), POLLIN, 0});
        which.push_back(i);
      }
    }
    int n = ::poll(fds.data(), fds.size(), -1);
    if (InterruptScope::interrupted() || (n < 0 && errno != EINTR)) {
      output("Exiting foreground");
      return;
    }
    for (size_t k = 0; n > 0 && k < which.size(); ++k) {
      if (fds[k + 1].revents != 0) {
        std::variant<HttpStream::State, TransportError> st = streams[which[k]].pump();
        live[which[k]] = std::holds_alternative<HttpStream::State>(st) &&
                         std::get<HttpStream::State>(st) != HttpStream::State::Ended;
      }
    }
    if (n <= 0 || fds[0].revents == 0) {
      continue;
    }
    char buf[4096];
    ssize_t got = ::read(m_io.input_fd, buf, sizeof(buf));
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0) {
      // End of input: a last unterminated line still goes out first.
      if (pending.empty() || fg_send(name, pending)) {
        output("Exiting foreground");
      }
      return;
    }
    pending.append(buf, static_cast<size_t>(got));
    for (size_t nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
      std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      if (!fg_send(name, line)) {
        return;
      }
    }
  }
}

}  // namespace tend::ctl
