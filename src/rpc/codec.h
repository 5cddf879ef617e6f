// XML-RPC wire format (pugixml). Server side: parse a methodCall, encode a
// methodResponse or fault. Client side (tendctl): encode a methodCall, parse a
// methodResponse. Output matches Python's xmlrpc.client closely enough that
// supervisorctl and xmlrpc.client read it unchanged.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "rpc/value.h"
#include "util/result.h"

namespace tend::rpc {

struct Call {
  std::string method;
  Array params;
};

// Fails (with a message for an HTTP 400) on malformed XML or a missing methodName.
Result<Call> parse_call(std::string_view xml);
std::string encode_response(const Value& v);
// Appends what encode_response(v) returns to `out`, so a caller can reuse one
// buffer (and its capacity) across responses.
void encode_response_into(std::string& out, const Value& v);
std::string encode_fault(const Fault& f);

std::string encode_call(const std::string& method, const Array& params);
// A well-formed response is either a value or a fault; malformed XML is an error.
Result<std::variant<Value, Fault>> parse_response(std::string_view xml);

// Helpers shared with tests and tendctl: one "<value>...</value>\n" element as
// the encoders above write it, and a double laid out like Python's repr().
std::string encode_value_xml(const Value& v);
std::string format_double(double d);

}  // namespace tend::rpc
