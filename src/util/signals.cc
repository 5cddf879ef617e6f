#include "util/signals.h"

#include <signal.h>
#include <sys/wait.h>

#include <cctype>
#include <charconv>

#include <fmt/format.h>

namespace tend {

namespace {

struct SigName {
  int number;
  const char* name;
};

// Linux names, without aliases that would make the reverse map ambiguous
// (SIGIOT=SIGABRT, SIGPOLL=SIGIO); SIGCLD and SIGIOT are accepted on input.
constexpr SigName k_signals[] = {
    {SIGHUP, "SIGHUP"},     {SIGINT, "SIGINT"},       {SIGQUIT, "SIGQUIT"},   {SIGILL, "SIGILL"},
    {SIGTRAP, "SIGTRAP"},   {SIGABRT, "SIGABRT"},     {SIGBUS, "SIGBUS"},     {SIGFPE, "SIGFPE"},
    {SIGKILL, "SIGKILL"},   {SIGUSR1, "SIGUSR1"},     {SIGSEGV, "SIGSEGV"},   {SIGUSR2, "SIGUSR2"},
    {SIGPIPE, "SIGPIPE"},   {SIGALRM, "SIGALRM"},     {SIGTERM, "SIGTERM"},   {SIGSTKFLT, "SIGSTKFLT"},
    {SIGCHLD, "SIGCHLD"},   {SIGCONT, "SIGCONT"},     {SIGSTOP, "SIGSTOP"},   {SIGTSTP, "SIGTSTP"},
    {SIGTTIN, "SIGTTIN"},   {SIGTTOU, "SIGTTOU"},     {SIGURG, "SIGURG"},     {SIGXCPU, "SIGXCPU"},
    {SIGXFSZ, "SIGXFSZ"},   {SIGVTALRM, "SIGVTALRM"}, {SIGPROF, "SIGPROF"},   {SIGWINCH, "SIGWINCH"},
    {SIGIO, "SIGIO"},       {SIGPWR, "SIGPWR"},       {SIGSYS, "SIGSYS"},
};

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace

std::string signal_name(int sig) {
  for (const SigName& s : k_signals) {
    if (s.number == sig) {
      return s.name;
    }
  }
  if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
    return sig == SIGRTMIN ? "SIGRTMIN" : fmt::format("SIGRTMIN+{}", sig - SIGRTMIN);
  }
  return fmt::format("signal {}", sig);
}

std::optional<int> signal_number(std::string_view text) {
  if (text.empty()) {
    return std::nullopt;
  }
  int number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec == std::errc() && end == text.data() + text.size()) {
    if (number >= 1 && number <= SIGRTMAX) {
      return number;
    }
    return std::nullopt;
  }
  std::string name = upper(text);
  if (name.rfind("SIG", 0) != 0) {
    name = "SIG" + name;
  }
  for (const SigName& s : k_signals) {
    if (name == s.name) {
      return s.number;
    }
  }
  if (name == "SIGIOT") {
    return SIGABRT;
  }
  if (name == "SIGCLD") {
    return SIGCHLD;
  }
  if (name == "SIGPOLL") {
    return SIGIO;
  }
  if (name.rfind("SIGRTMIN", 0) == 0 || name.rfind("SIGRTMAX", 0) == 0) {
    bool is_min = name[6] == 'M' && name[7] == 'I';
    int base = is_min ? SIGRTMIN : SIGRTMAX;
    std::string_view rest = std::string_view(name).substr(8);
    if (rest.empty()) {
      return base;
    }
    int offset = 0;
    auto [e2, ec2] = std::from_chars(rest.data() + 1, rest.data() + rest.size(), offset);
    if ((rest[0] != '+' && rest[0] != '-') || ec2 != std::errc() || e2 != rest.data() + rest.size()) {
      return std::nullopt;
    }
    int sig = rest[0] == '+' ? base + offset : base - offset;
    if (sig < SIGRTMIN || sig > SIGRTMAX) {
      return std::nullopt;
    }
    return sig;
  }
  return std::nullopt;
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) {
    return fmt::format("exit status {}", WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) {
    std::string text = "terminated by " + signal_name(WTERMSIG(status));
    if (WCOREDUMP(status)) {
      text += " (core dumped)";
    }
    return text;
  }
  return fmt::format("unknown termination cause 0x{:04x}", status);
}

}  // namespace tend
