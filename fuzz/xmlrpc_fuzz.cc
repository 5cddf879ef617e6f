// Feeds: arbitrary bytes to the XML-RPC decoder (rpc/codec.h) both ways: as a
// request body tend's /RPC2 route receives (parse_call) and as a response body
// tendctl receives (parse_response).
// Asserts, beyond no crash, leak or UB, that what decodes survives a round
// trip through our own encoder: a parsed call, encoded with encode_call and
// parsed again, gives the same method and parameters; its parameters sent as a
// response (encode_response) parse back to the same value; a parsed response
// (value or fault) encodes and parses back to itself. So every value a client
// can send, tend can also send back in a form it reads itself.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "fuzz_check.h"
#include "rpc/codec.h"

namespace {

using tend::rpc::Value;

// Value::operator== with NaN equal to NaN: a NaN decodes fine and must
// round-trip, but compares unequal to itself.
bool same(const Value& a, const Value& b) {
  if (a.is_double() && b.is_double()) {
    return (std::isnan(a.as_double()) && std::isnan(b.as_double())) || a.as_double() == b.as_double();
  }
  if (a.is_array() && b.is_array()) {
    const tend::rpc::Array& x = a.as_array();
    const tend::rpc::Array& y = b.as_array();
    if (x.size() != y.size()) {
      return false;
    }
    for (size_t i = 0; i < x.size(); ++i) {
      if (!same(x[i], y[i])) {
        return false;
      }
    }
    return true;
  }
  if (a.is_struct() && b.is_struct()) {
    const tend::rpc::Struct& x = a.as_struct();
    const tend::rpc::Struct& y = b.as_struct();
    if (x.size() != y.size()) {
      return false;
    }
    for (size_t i = 0; i < x.size(); ++i) {
      if (x[i].first != y[i].first || !same(x[i].second, y[i].second)) {
        return false;
      }
    }
    return true;
  }
  return a == b;
}

void check_call(std::string_view xml) {
  tend::Result<tend::rpc::Call> call = tend::rpc::parse_call(xml);
  if (!call.ok()) {
    return;
  }
  tend::Result<tend::rpc::Call> again = tend::rpc::parse_call(tend::rpc::encode_call(call->method, call->params));
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->method == call->method);
  FUZZ_CHECK(same(Value(again->params), Value(call->params)));

  Value params(call->params);
  auto response = tend::rpc::parse_response(tend::rpc::encode_response(params));
  FUZZ_CHECK(response.ok());
  FUZZ_CHECK(std::holds_alternative<Value>(*response));
  FUZZ_CHECK(same(std::get<Value>(*response), params));
}

void check_response(std::string_view xml) {
  auto response = tend::rpc::parse_response(xml);
  if (!response.ok()) {
    return;
  }
  if (const Value* v = std::get_if<Value>(&*response)) {
    auto again = tend::rpc::parse_response(tend::rpc::encode_response(*v));
    FUZZ_CHECK(again.ok() && std::holds_alternative<Value>(*again));
    FUZZ_CHECK(same(std::get<Value>(*again), *v));
  } else {
    const tend::rpc::Fault& f = std::get<tend::rpc::Fault>(*response);
    auto again = tend::rpc::parse_response(tend::rpc::encode_fault(f));
    FUZZ_CHECK(again.ok() && std::holds_alternative<tend::rpc::Fault>(*again));
    FUZZ_CHECK(std::get<tend::rpc::Fault>(*again) == f);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view xml(reinterpret_cast<const char*>(data), size);
  check_call(xml);
  check_response(xml);
  return 0;
}
