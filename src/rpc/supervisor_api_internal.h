// Helpers shared by supervisor_api.cc and supervisor_api_control.cc.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/commands.h"
#include "rpc/dispatcher.h"
#include "rpc/faults.h"
#include "rpc/value.h"

namespace tend::rpc::detail {

// supervisord's RPCError(code, extra): "NAME: extra" whenever extra is given,
// even when it is empty ("BAD_NAME: ").
inline Fault fault(int code, const std::string& extra) {
  return Fault{code, std::string(fault_name(code)) + ": " + extra};
}
inline Fault fault(int code) { return make_fault(code); }

// The fault supervisord gives for a refused command about `name`. Refusals
// whose text is the reason (NO_FILE, NOT_EXECUTABLE, FAILED, CANT_REREAD
// from a command) carry it in `r.detail`.
Fault fault_for(const CommandResult& r, const std::string& name);

// A Waiter that completes `reply`: true on success, fault_for() otherwise.
Waiter waiter_for(const Reply& reply, const std::string& name);

// A string parameter (names, signal names, stdin data), or nullptr.
inline const std::string* as_text(const Value& v) { return v.is_string() ? &v.as_string() : nullptr; }

// An integer parameter as Python's int() reads it (int, bool, double,
// decimal string); nullopt for anything else.
std::optional<int64_t> as_integer(const Value& v);

// Python truthiness of a parameter (wait flags).
bool truthy(const Value& v);

// A parameter as text for a fault string ("BAD_SIGNAL: 99").
std::string param_text(const Value& v);

// {name, group, status, description}: one entry of a group or "all" result.
Value result_entry(const std::string& group, const std::string& name, const Outcome& outcome);

// One supervisor.* method for add_methods().
struct MethodDef {
  const char* name;  // without "supervisor."
  int min_params;
  int max_params;
  std::vector<std::string> signature;
  const char* help;
  Handler handler;
};
Status add_methods(Dispatcher& d, std::vector<MethodDef> defs);

// Collects the entries of a group or "all" operation and completes the outer
// reply once every per-process reply has completed.
class Batch : public std::enable_shared_from_this<Batch> {
 public:
  explicit Batch(Reply outer) : m_outer(std::move(outer)) {}
  // The reply for one process's operation; its outcome becomes an entry.
  Reply slot(const std::string& group, const std::string& name);
  // No more slots; completes now if nothing is pending.
  void close();
  bool wanted() const { return m_outer.wanted(); }

 private:
  void maybe_finish();
  Reply m_outer;
  Array m_results;
  size_t m_pending = 0;
  bool m_closed = false;
};

}  // namespace tend::rpc::detail
