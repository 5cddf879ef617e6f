#include "rpc/dispatcher.h"

#include <exception>

#include <fmt/format.h>

#include "rpc/faults.h"

namespace tend::rpc {

Reply::Reply(Sink sink) : m_state(std::make_shared<State>()) { m_state->sink = std::move(sink); }

void Reply::complete(Outcome outcome) const {
  if (m_state->done) {
    return;
  }
  m_state->done = true;
  // Move the sink out first: it may drop the last reference to whatever owns
  // this Reply.
  Sink sink = std::move(m_state->sink);
  m_state->sink = nullptr;
  if (sink) {
    sink(std::move(outcome));
  }
}

bool Reply::done() const { return m_state->done; }

bool Reply::wanted() const { return !m_state->done && m_state->sink != nullptr; }

void Reply::abandon() const { m_state->sink = nullptr; }

namespace {

bool valid_name(std::string_view name) {
  size_t dot = name.find('.');
  if (dot == std::string_view::npos || name.find('.', dot + 1) != std::string_view::npos) {
    return false;
  }
  std::string_view ns = name.substr(0, dot);
  std::string_view method = name.substr(dot + 1);
  return !ns.empty() && !method.empty() && ns.front() != '_' && method.front() != '_';
}

}  // namespace

Status Dispatcher::add(MethodSpec spec) {
  if (!valid_name(spec.name)) {
    return make_error(fmt::format("unable to register method '{}': not a namespace.method name", spec.name));
  }
  if (!spec.handler) {
    return make_error(fmt::format("unable to register method '{}': no handler", spec.name));
  }
  if (spec.min_params < 0 || (spec.max_params >= 0 && spec.max_params < spec.min_params)) {
    return make_error(fmt::format("unable to register method '{}': bad params range", spec.name));
  }
  if (m_methods.count(spec.name) != 0) {
    return make_error(fmt::format("unable to register method '{}': already registered", spec.name));
  }
  std::string name = spec.name;
  m_methods.emplace(std::move(name), std::move(spec));
  return ok_status();
}

Status Dispatcher::add_sync(std::string name, int min_params, int max_params,
                            std::function<Outcome(const Array&)> fn, std::string help,
                            std::vector<std::string> signature) {
  MethodSpec spec;
  spec.name = std::move(name);
  spec.min_params = min_params;
  spec.max_params = max_params;
  spec.help = std::move(help);
  spec.signature = std::move(signature);
  if (fn) {
    spec.handler = [fn = std::move(fn)](const Array& params, const Reply& reply) { reply.complete(fn(params)); };
  }
  return add(std::move(spec));
}

const MethodSpec* Dispatcher::find(std::string_view name) const {
  auto it = m_methods.find(name);
  return it == m_methods.end() ? nullptr : &it->second;
}

std::vector<std::string> Dispatcher::method_names() const {
  std::vector<std::string> out;
  out.reserve(m_methods.size());
  for (const auto& [name, spec] : m_methods) {
    out.push_back(name);  // std::map keeps them sorted
  }
  return out;
}

Result<const MethodSpec*> Dispatcher::resolve(std::string_view name) const {
  const MethodSpec* spec = valid_name(name) ? find(name) : nullptr;
  if (spec == nullptr) {
    return make_error(std::string(name));
  }
  return spec;
}

void Dispatcher::dispatch(const Call& call, const Reply& reply) const {
  Result<const MethodSpec*> spec = resolve(call.method);
  if (!spec.ok()) {
    reply.fail(make_fault(faults::k_unknown_method));
    return;
  }
  int n = static_cast<int>(call.params.size());
  if (n < (*spec)->min_params || ((*spec)->max_params >= 0 && n > (*spec)->max_params)) {
    reply.fail(make_fault(faults::k_incorrect_parameters));
    return;
  }
  // A handler indexing a Value of the wrong type throws std::bad_variant_access;
  // that must not unwind into the event loop.
  try {
    (*spec)->handler(call.params, reply);
  } catch (const std::exception& e) {
    reply.internal_error(fmt::format("{}: {}", call.method, e.what()));
  } catch (...) {
    reply.internal_error(fmt::format("{}: unknown exception", call.method));
  }
}

}  // namespace tend::rpc
