#include "ctl/rpc_client.h"

#include <fmt/format.h>

#include "rpc/codec.h"

namespace tend::ctl {

Reply RpcClient::call(const std::string& method, const rpc::Array& params) {
  std::variant<std::string, TransportError> body =
      m_transport.post("/RPC2", rpc::encode_call(method, params));
  if (auto* err = std::get_if<TransportError>(&body)) {
    return *err;
  }
  Result<std::variant<rpc::Value, rpc::Fault>> parsed =
      rpc::parse_response(std::get<std::string>(body));
  if (!parsed) {
    return TransportError{TransportError::Kind::Protocol, 0, 0, {},
                          fmt::format("unable to parse the reply to {}: {}", method, parsed.error())};
  }
  if (auto* fault = std::get_if<rpc::Fault>(&*parsed)) {
    return *fault;
  }
  return std::get<rpc::Value>(std::move(*parsed));
}

}  // namespace tend::ctl
