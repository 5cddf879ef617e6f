// The supervisor.* XML-RPC namespace, answering as supervisord 4.2.5 does:
// same methods, result shapes, fault codes and fault strings (§3.4 of
// shared/reference/supervisord-4.2.5.md). Methods that wait
// (startProcess/stopProcess with wait=True and the group and "all" forms)
// complete their Reply from process state changes; nothing blocks the loop.
//
// Deliberate differences from supervisord:
//  - log text is made XML-safe (invalid UTF-8 and control bytes become
//    U+FFFD) instead of failing the request with HTTP 500;
//  - a parameter of the wrong type is an INCORRECT_PARAMETERS fault, not a 500;
//  - clearProcessLogs also clears the files of a process that is not running;
//  - a wait ends as soon as the state changes (supervisord looks once per
//    main-loop pass, so it can miss a short-lived RUNNING).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "sys/event_loop.h"
#include "core/supervisor.h"
#include "rpc/dispatcher.h"
#include "util/result.h"

namespace tend::rpc {

class SupervisorApi {
 public:
  SupervisorApi(Supervisor& sup, EventLoop& loop);
  // Drops every pending wait: their replies are abandoned.
  ~SupervisorApi();
  SupervisorApi(const SupervisorApi&) = delete;
  SupervisorApi& operator=(const SupervisorApi&) = delete;

  // Registers every supervisor.* method on `d`. This object and `d` must
  // outlive every call made through `d`.
  Status install(Dispatcher& d);

  // Pending waits (tests: nothing is left behind).
  size_t pending_waits() const { return m_waits.size(); }

 private:
  struct Target {
    Supervisor::Group* group = nullptr;
    Process* process = nullptr;  // nullptr: the whole group
  };
  // What a wait decides on each state change of its process.
  using WaitCheck = std::function<std::optional<Outcome>(const Process&)>;
  struct Wait {
    Process* process = nullptr;
    Reply reply;
    WaitCheck check;
    EventLoop::TimerId report_timer = 0;
  };

  // --- helpers (supervisor_api.cc) ---
  bool shutting_down() const;
  // A method answering at once, refused with SHUTDOWN_STATE while stopping.
  Handler guarded(std::function<Outcome(const Array&)> fn);
  std::variant<Target, Fault> resolve(const std::string& namespec, bool process_required);
  std::optional<Target> namespec_param(const Array& params, const Reply& reply);
  // Every process, groups and processes by priority (the "all" methods' order).
  std::vector<std::pair<std::string, Process*>> all_processes() const;
  void complete_later(const Reply& reply, Outcome outcome);
  void wait_for(Process& p, const Reply& reply, WaitCheck check, bool stop_report);
  void on_state(uint64_t id, const Process& p);
  void drop_wait(uint64_t id);
  void stop_report(uint64_t id);

  // --- methods (supervisor_api.cc; the log ones in supervisor_api_logs.cc) ---
  Outcome read_main_log(const Array& params);
  Outcome clear_main_log();
  Outcome reload_config();
  Outcome add_group(const Array& params);
  Outcome remove_group(const Array& params);
  Outcome process_info(const Array& params);
  Outcome all_process_info();
  Outcome all_config_info();
  Outcome read_process_log(const Array& params, Stream s);
  Outcome tail_process_log(const Array& params, Stream s);
  Outcome clear_process_logs(const Array& params);
  Outcome clear_all_process_logs();
  Outcome send_stdin(const Array& params);
  Status install_info_methods(Dispatcher& d);
  Status install_log_methods(Dispatcher& d);

  // --- process control (supervisor_api_control.cc) ---
  void start(const Array& params, const Reply& reply);
  void start_group_call(const Array& params, const Reply& reply);
  void stop_group_call(const Array& params, const Reply& reply);
  void signal_group_call(const Array& params, const Reply& reply);
  Supervisor::Group* group_param(const Value& v, const Reply& reply);
  void start_all(const Array& params, const Reply& reply);
  void stop(const Array& params, const Reply& reply);
  void stop_all(const Array& params, const Reply& reply);
  void signal(const Array& params, const Reply& reply);
  void signal_all(const Array& params, const Reply& reply);
  void start_group(Supervisor::Group& g, bool wait, const Reply& reply);
  void stop_group(Supervisor::Group& g, bool wait, const Reply& reply);
  void signal_group(Supervisor::Group& g, const Value& sig, const Reply& reply);
  void start_one(Process& p, const std::string& name, bool wait, const Reply& reply);
  void stop_one(Process& p, const std::string& name, bool wait, const Reply& reply);
  void signal_one(Process& p, const std::string& name, const Value& sig, const Reply& reply);
  Status install_control_methods(Dispatcher& d);

  Supervisor& m_sup;
  EventLoop& m_loop;
  std::map<uint64_t, Wait> m_waits;  // by state listener id
  // False once this object is gone; completions deferred to the loop check it.
  std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

}  // namespace tend::rpc
