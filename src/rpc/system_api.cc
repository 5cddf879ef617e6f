#include "rpc/system_api.h"

#include <memory>

#include <fmt/format.h>

#include "rpc/faults.h"

namespace tend::rpc {

namespace {

Value fault_entry(const Fault& f) { return Value(Struct{{"faultCode", Value(f.code)}, {"faultString", Value(f.string)}}); }

Value entry_for(Outcome outcome) {
  if (auto* v = std::get_if<Value>(&outcome)) {
    return std::move(*v);
  }
  if (auto* f = std::get_if<Fault>(&outcome)) {
    return fault_entry(*f);
  }
  return fault_entry(make_fault(faults::k_failed, std::get<InternalError>(outcome).message));
}

// One system.multicall in progress. Calls are issued from step(); a call that
// completes synchronously lets the loop go on, a deferred one resumes step()
// from its completion. The loop (not recursion) keeps the stack flat for long
// lists of synchronous calls.
class MulticallRun : public std::enable_shared_from_this<MulticallRun> {
 public:
  MulticallRun(const Dispatcher& d, Array calls, Reply outer)
      : m_dispatcher(d), m_calls(std::move(calls)), m_outer(std::move(outer)) {}

  void step() {
    m_in_step = true;
    while (m_next < m_calls.size()) {
      if (!m_outer.wanted()) {
        m_in_step = false;
        return;
      }
      m_pending = true;
      issue(m_calls[m_next++]);
      if (m_pending) {  // deferred: its completion calls step() again
        m_in_step = false;
        return;
      }
    }
    m_in_step = false;
    m_outer.ok(Value(std::move(m_results)));
  }

 private:
  void issue(const Value& item) {
    const Value* name = item.get("methodName");
    const Value* params = item.get("params");
    if (name == nullptr || !name->is_string()) {
      finish(make_fault(faults::k_incorrect_parameters, "each call needs a string methodName"));
      return;
    }
    if (params != nullptr && !params->is_array()) {
      finish(make_fault(faults::k_incorrect_parameters, "params must be an array"));
      return;
    }
    if (name->as_string() == "system.multicall") {
      finish(make_fault(faults::k_incorrect_parameters, "system.multicall cannot be nested"));
      return;
    }
    Call call{name->as_string(), params != nullptr ? params->as_array() : Array{}};
    std::shared_ptr<MulticallRun> self = shared_from_this();
    m_dispatcher.dispatch(call, Reply([self](Outcome o) { self->finish(std::move(o)); }));
  }

  void finish(Outcome o) {
    m_results.push_back(entry_for(std::move(o)));
    m_pending = false;
    if (!m_in_step) {
      step();
    }
  }

  const Dispatcher& m_dispatcher;
  Array m_calls;
  Reply m_outer;
  Array m_results;
  size_t m_next = 0;
  bool m_pending = false;  // the current call has not completed yet
  bool m_in_step = false;  // step() is on the stack
};

Outcome list_methods(const Dispatcher& d) {
  Array names;
  for (std::string& n : d.method_names()) {
    names.emplace_back(std::move(n));
  }
  return Value(std::move(names));
}

Outcome method_help(const Dispatcher& d, const Array& params) {
  if (!params[0].is_string()) {
    return make_fault(faults::k_incorrect_parameters);
  }
  const MethodSpec* spec = d.find(params[0].as_string());
  if (spec == nullptr || spec->help.empty()) {
    return make_fault(faults::k_signature_unsupported);
  }
  return Value(spec->help);
}

Outcome method_signature(const Dispatcher& d, const Array& params) {
  if (!params[0].is_string()) {
    return make_fault(faults::k_incorrect_parameters);
  }
  const MethodSpec* spec = d.find(params[0].as_string());
  if (spec == nullptr || spec->signature.empty()) {
    return make_fault(faults::k_signature_unsupported);
  }
  Array out;
  for (const std::string& t : spec->signature) {
    out.emplace_back(t);
  }
  return Value(std::move(out));
}

}  // namespace

Status install_system_api(Dispatcher& d) {
  const Dispatcher& cd = d;
  Status st = d.add_sync(
      "system.listMethods", 0, 0, [&cd](const Array&) { return list_methods(cd); },
      "Return the names of every method this server offers, sorted.\n@return array", {"array"});
  if (!st.ok()) {
    return st;
  }
  st = d.add_sync(
      "system.methodHelp", 1, 1, [&cd](const Array& p) { return method_help(cd, p); },
      "Return the help text of a method.\n@param string name the method's full name\n@return string help text",
      {"string", "string"});
  if (!st.ok()) {
    return st;
  }
  st = d.add_sync(
      "system.methodSignature", 1, 1, [&cd](const Array& p) { return method_signature(cd, p); },
      "Return a method's signature: its return type followed by its parameter types.\n"
      "@param string name the method's full name\n@return array type names",
      {"array", "string"});
  if (!st.ok()) {
    return st;
  }
  MethodSpec multicall;
  multicall.name = "system.multicall";
  multicall.min_params = 1;
  multicall.max_params = 1;
  multicall.help =
      "Run several calls in order in one request. Each result takes its call's slot as is; a failed call's slot "
      "holds a struct with faultCode and faultString.\n"
      "@param array calls structs with methodName (string) and params (array)\n@return array results";
  multicall.signature = {"array", "array"};
  multicall.handler = [&cd](const Array& params, const Reply& reply) {
    if (!params[0].is_array()) {
      reply.fail(make_fault(faults::k_incorrect_parameters));
      return;
    }
    std::make_shared<MulticallRun>(cd, params[0].as_array(), reply)->step();
  };
  return d.add(std::move(multicall));
}

}  // namespace tend::rpc
