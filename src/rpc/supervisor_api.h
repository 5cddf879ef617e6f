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

#include "core/supervisor.h"
#include "rpc/dispatcher.h"
#include "util/result.h"

namespace tend::rpc {

class SupervisorApi {
 public:
  explicit SupervisorApi(Supervisor& sup);
  SupervisorApi(const SupervisorApi&) = delete;
  SupervisorApi& operator=(const SupervisorApi&) = delete;

  // (group name, process), in the order a method reports them.
  using ProcessList = std::vector<std::pair<std::string, const Process*>>;

  // Registers every supervisor.* method on `d`. This object and `d` must
  // outlive every call made through `d`.
  Status install(Dispatcher& d);

 private:
  struct Target {
    const Group* group = nullptr;
    const Process* process = nullptr;  // nullptr: the whole group
  };

  // --- helpers (supervisor_api.cc) ---
  bool shutting_down() const { return !m_sup.commands().accepting(); }
  // A method answering at once, refused with SHUTDOWN_STATE while stopping.
  Handler guarded(std::function<Outcome(const Array&)> fn);
  std::variant<Target, Fault> resolve(const std::string& namespec, bool process_required) const;
  std::optional<Target> namespec_param(const Array& params, const Reply& reply) const;
  // Every process, groups and processes by priority (the "all" methods' order).
  ProcessList all_processes() const;

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
  Outcome remote_comm(const Array& params);
  Status install_info_methods(Dispatcher& d);
  Status install_log_methods(Dispatcher& d);

  // --- process control (supervisor_api_control.cc) ---
  void start(const Array& params, const Reply& reply);
  void start_group_call(const Array& params, const Reply& reply);
  void stop_group_call(const Array& params, const Reply& reply);
  void signal_group_call(const Array& params, const Reply& reply);
  const Group* group_param(const Value& v, const Reply& reply) const;
  void start_all(const Array& params, const Reply& reply);
  void stop(const Array& params, const Reply& reply);
  void stop_all(const Array& params, const Reply& reply);
  void signal(const Array& params, const Reply& reply);
  void signal_all(const Array& params, const Reply& reply);
  void start_group(const Group& g, bool wait, const Reply& reply);
  void stop_group(const Group& g, bool wait, const Reply& reply);
  void start_many(const ProcessList& procs, bool wait, const Reply& reply);
  void stop_many(const ProcessList& procs, bool wait, const Reply& reply);
  void signal_group(const Group& g, const Value& sig, const Reply& reply);
  void start_one(const Process& p, const std::string& name, bool wait, const Reply& reply);
  void stop_one(const Process& p, const std::string& name, bool wait, const Reply& reply);
  void signal_one(const Process& p, const std::string& name, const Value& sig, const Reply& reply);
  Status install_control_methods(Dispatcher& d);

  Supervisor& m_sup;
};

}  // namespace tend::rpc
