#include "web/query_actions.h"

#include <algorithm>

#include <fmt/format.h>

#include "rpc/process_info.h"
#include "rpc/supervisor_api_internal.h"

namespace tend::web {

namespace {

std::string fault_text(const CommandResult& r, const std::string& namespec) {
  rpc::Fault f = rpc::detail::fault_for(r, namespec);
  return fmt::format("unexpected rpc fault [{}] {}", f.code, f.string);
}

// Calls `then` once `n` waiters have answered (at once when n is 0).
class Countdown {
 public:
  Countdown(size_t n, std::function<void()> then) : m_left(n), m_then(std::move(then)) {}
  static std::shared_ptr<Countdown> make(size_t n, std::function<void()> then) {
    return std::make_shared<Countdown>(n, std::move(then));
  }
  void one() {
    if (m_left > 0 && --m_left == 0) {
      m_then();
    }
  }
  void start_if_empty() {
    if (m_left == 0) {
      m_then();
    }
  }

 private:
  size_t m_left;
  std::function<void()> m_then;
};

void stop_all(Supervisor& sup, std::function<void()> then) {
  std::vector<Commands::StopItem> items;
  sup.table().for_each([&](const Group&, const Process& p) {
    if (Commands::stoppable(p)) {
      items.push_back({&p, {}});
    }
  });
  auto count = Countdown::make(items.size(), std::move(then));
  for (Commands::StopItem& item : items) {
    item.waiter.done = [count](const CommandResult&) { count->one(); };
  }
  sup.commands().stop_together(std::move(items), true);
  count->start_if_empty();
}

void start_all(Supervisor& sup, std::function<void()> then) {
  std::vector<Commands::StartItem> items;
  sup.table().for_each([&](const Group&, const Process& p) {
    if (Commands::startable(p)) {
      items.push_back({&p, {}});
    }
  });
  auto count = Countdown::make(items.size(), std::move(then));
  for (Commands::StartItem& item : items) {
    item.waiter.done = [count](const CommandResult&) { count->one(); };
  }
  sup.commands().start_together(std::move(items), true);
  count->start_if_empty();
}

}  // namespace

QueryAction classify_query(const Form& form) {
  QueryAction a;
  auto action = form.find("action");
  if (action == form.end()) {
    return a;
  }
  const std::string& what = action->second;
  if (what == "refresh") {
    a.kind = QueryKind::Refresh;
  } else if (what == "stopall") {
    a.kind = QueryKind::StopAll;
  } else if (what == "restartall") {
    a.kind = QueryKind::RestartAll;
  } else if (auto name = form.find("processname"); name != form.end()) {
    a.kind = QueryKind::Process;
    a.action = what;
    a.namespec = name->second;
  } else {
    a.kind = QueryKind::Invalid;
  }
  return a;
}

bool changes_state(QueryKind k) { return k != QueryKind::Page && k != QueryKind::Refresh; }

std::string no_such_process_message(const std::string& namespec) {
  return fmt::format("No such process named {}", namespec);
}

std::string start_message(const std::string& namespec, const CommandResult& r) {
  if (r.ok()) {
    return fmt::format("Process {} started", namespec);
  }
  std::string why;
  switch (r.refusal) {
    case Refusal::NoFile: why = "no such file"; break;
    case Refusal::NotExecutable: why = "file not executable"; break;
    case Refusal::AlreadyStarted: why = "already started"; break;
    case Refusal::SpawnError: why = "spawn error"; break;
    case Refusal::AbnormalTermination: why = "abnormal termination"; break;
    default: why = fault_text(r, namespec);
  }
  return fmt::format("ERROR: Process {}: {}", namespec, why);
}

std::string stop_message(const std::string& namespec, const CommandResult& r) {
  if (r.ok()) {
    return fmt::format("Process {} stopped", namespec);
  }
  return fault_text(r, namespec);
}

std::string clearlog_message(const std::string& namespec, const CommandResult& r) {
  if (r.ok()) {
    return fmt::format("Log for {} cleared", namespec);
  }
  return fault_text(r, namespec);
}

std::string restart_message(const std::string& namespec) { return fmt::format("Process {} restarted", namespec); }
std::string refresh_message(time_t now) { return "Page refreshed at " + ctime_text(now); }
std::string stopall_message(time_t now) { return "All stopped at " + ctime_text(now); }
std::string restartall_message(time_t now) { return "All restarted at " + ctime_text(now); }

int64_t tail_limit(const std::string* limit, int64_t max) {
  constexpr int64_t k_least = 1024;
  if (limit == nullptr || limit->empty() ||
      !std::all_of(limit->begin(), limit->end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::min(k_least, max);
  }
  int64_t n = 0;
  for (char c : *limit) {
    n = n * 10 + (c - '0');
    if (n >= max) {
      return max;  // also stops before the number could overflow
    }
  }
  return std::clamp(n, k_least, max);
}

std::string server_url(const std::string* host) {
  if (host == nullptr) {
    return "http://localhost";
  }
  std::string_view h = *host;
  while (!h.empty() && (h.front() == ' ' || h.front() == '\t')) {
    h.remove_prefix(1);
  }
  while (!h.empty() && (h.back() == ' ' || h.back() == '\t')) {
    h.remove_suffix(1);
  }
  if (h.size() > 3 && h.substr(h.size() - 3) == ":80" && h.find(']', h.size() - 3) == std::string_view::npos) {
    h.remove_suffix(3);
  }
  return fmt::format("http://{}", h);
}

std::string message_location(const std::string& server, const std::string& message) {
  return server + "/?message=" + url_quote(message);
}

void run_query_action(Supervisor& sup, const QueryAction& a, std::function<bool()> alive,
                      std::function<void(std::optional<std::string>)> done) {
  auto finish = [alive, done](std::optional<std::string> message) {
    if (alive()) {
      done(std::move(message));
    }
  };
  switch (a.kind) {
    case QueryKind::Page:
    case QueryKind::Invalid:
      finish(std::nullopt);
      return;
    case QueryKind::Refresh:
      finish(refresh_message(time(nullptr)));
      return;
    case QueryKind::StopAll:
      stop_all(sup, [finish] { finish(stopall_message(time(nullptr))); });
      return;
    case QueryKind::RestartAll: {
      Supervisor* s = &sup;
      stop_all(sup, [s, finish] { start_all(*s, [finish] { finish(restartall_message(time(nullptr))); }); });
      return;
    }
    case QueryKind::Process:
      break;
  }
  rpc::Namespec n = rpc::split_namespec(a.namespec);
  const Process* p = n.process ? sup.table().find(n.group, *n.process) : nullptr;
  if (p == nullptr) {
    finish(no_such_process_message(a.namespec));
    return;
  }
  std::string ns = a.namespec;
  Commands& commands = sup.commands();
  if (a.action == "start") {
    commands.start(*p, true, Waiter{[finish, ns](CommandResult r) { finish(start_message(ns, r)); }});
  } else if (a.action == "stop") {
    commands.stop(*p, true, Waiter{[finish, ns](CommandResult r) { finish(stop_message(ns, r)); }});
  } else if (a.action == "restart") {
    // As supervisord's page: stop, then start whatever the stop answered;
    // the message does not depend on either result.
    Supervisor* s = &sup;
    commands.stop(*p, true, Waiter{[s, p, finish, ns](CommandResult) {
                                     if (!s->table().contains(p)) {
                                       finish(restart_message(ns));
                                       return;
                                     }
                                     s->commands().start(*p, true, Waiter{[finish, ns](CommandResult) {
                                                                            finish(restart_message(ns));
                                                                          }});
                                   }});
  } else if (a.action == "clearlog") {
    finish(clearlog_message(ns, commands.clear_logs(*p)));
  } else {
    finish(std::nullopt);
  }
}

}  // namespace tend::web
