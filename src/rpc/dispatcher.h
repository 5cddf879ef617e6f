// Dispatcher: the XML-RPC method registry. A handler receives the call's
// params and a Reply it completes now or later (from any later event-loop
// callback), which is how methods such as startProcess(wait=True) finish
// asynchronously without blocking the loop.
//
// Name rules (as supervisord's traverse): a method name is exactly
// "namespace.method"; a part starting with '_' is never reachable; anything not
// registered is UNKNOWN_METHOD; a params count outside the declared range is
// INCORRECT_PARAMETERS.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "rpc/codec.h"
#include "rpc/value.h"
#include "util/result.h"

namespace tend::rpc {

// A failure that is not a fault: the HTTP layer answers 500, and multicall
// turns it into a FAILED fault entry (supervisord does the same with an
// unexpected Python exception).
struct InternalError {
  std::string message;
  bool operator==(const InternalError&) const = default;
};

using Outcome = std::variant<Value, Fault, InternalError>;

// The promise a handler completes. Copyable: copies share one state, so a
// handler may keep a copy in a timer or process-state callback.
// Completes at most once; later completions are ignored. If the requester went
// away (HTTP connection closed), the requester calls abandon(): completing is
// then a no-op and wanted() turns false so long waits can stop early.
class Reply {
 public:
  using Sink = std::function<void(Outcome)>;

  explicit Reply(Sink sink);

  void complete(Outcome outcome) const;
  void ok(Value v) const { complete(Outcome(std::move(v))); }
  void fail(Fault f) const { complete(Outcome(std::move(f))); }
  void internal_error(std::string message) const { complete(Outcome(InternalError{std::move(message)})); }

  bool done() const;
  // False once completed or abandoned: nobody is waiting for a result anymore.
  bool wanted() const;
  void abandon() const;

 private:
  struct State {
    Sink sink;
    bool done = false;
  };
  std::shared_ptr<State> m_state;
};

using Handler = std::function<void(const Array& params, Reply reply)>;

struct MethodSpec {
  std::string name;  // "ns.method"
  Handler handler;
  int min_params = 0;
  int max_params = 0;  // -1: no upper bound
  std::string help;    // our own words; empty means methodHelp answers SIGNATURE_UNSUPPORTED
  // [return type, param types...] with XML-RPC type names ("boolean",
  // "string", "int", "array", "struct", ...); empty = unsupported.
  std::vector<std::string> signature;
};

class Dispatcher {
 public:
  // Fails on a malformed name (not two non-empty parts, or a part starting
  // with '_'), a duplicate, a missing handler or a bad params range.
  Status add(MethodSpec spec);
  // Shorthand for methods that answer at once.
  Status add_sync(std::string name, int min_params, int max_params, std::function<Outcome(const Array&)> fn,
                  std::string help = "", std::vector<std::string> signature = {});

  // Runs the call. `reply` is always completed eventually unless the handler
  // keeps it forever; name and arity faults complete it before returning. A
  // handler that throws (it should not) completes it with InternalError.
  void dispatch(const Call& call, const Reply& reply) const;

  const MethodSpec* find(std::string_view name) const;
  std::vector<std::string> method_names() const;  // sorted

  // Checks a name against the rules above; UNKNOWN_METHOD fault when invalid
  // or not registered.
  Result<const MethodSpec*> resolve(std::string_view name) const;

 private:
  std::map<std::string, MethodSpec, std::less<>> m_methods;
};

}  // namespace tend::rpc
