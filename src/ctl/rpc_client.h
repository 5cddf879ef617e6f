// XML-RPC calls as tendctl makes them: a method name and params in, and out
// exactly one of a value, a fault, or a transport failure.
#pragma once

#include <string>
#include <variant>

#include "ctl/transport.h"
#include "rpc/value.h"

namespace tend::ctl {

class Reply {
 public:
  Reply(rpc::Value v) : m_v(std::move(v)) {}      // NOLINT(google-explicit-constructor)
  Reply(rpc::Fault f) : m_v(std::move(f)) {}      // NOLINT(google-explicit-constructor)
  Reply(TransportError e) : m_v(std::move(e)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return m_v.index() == 0; }
  bool is_fault() const { return m_v.index() == 1; }
  bool is_error() const { return m_v.index() == 2; }
  const rpc::Value& value() const { return std::get<0>(m_v); }
  const rpc::Fault& fault() const { return std::get<1>(m_v); }
  const TransportError& error() const { return std::get<2>(m_v); }
  bool is_fault(int code) const { return is_fault() && fault().code == code; }

 private:
  std::variant<rpc::Value, rpc::Fault, TransportError> m_v;
};

// What the controller talks to; tests substitute a fake.
class RpcBackend {
 public:
  virtual ~RpcBackend() = default;
  virtual Reply call(const std::string& method, const rpc::Array& params) = 0;
};

// The real backend: POST /RPC2 through a Transport.
class RpcClient : public RpcBackend {
 public:
  explicit RpcClient(Transport& transport) : m_transport(transport) {}
  Reply call(const std::string& method, const rpc::Array& params) override;

 private:
  Transport& m_transport;
};

}  // namespace tend::ctl
