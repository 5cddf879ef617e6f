// XML-RPC values: the data model shared by the server (rpc/) and tendctl (ctl/).
// A Value is one of: int, bool, double, string, base64 bytes, dateTime text,
// array or struct (struct keys keep their order of insertion on output).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace tend::rpc {

class Value;
using Array = std::vector<Value>;
using Struct = std::vector<std::pair<std::string, Value>>;

struct Base64 {
  std::string bytes;
  bool operator==(const Base64&) const = default;
};
struct DateTime {
  std::string iso8601;  // as on the wire, e.g. 20261126T17:00:00
  bool operator==(const DateTime&) const = default;
};

class Value {
 public:
  using Storage = std::variant<int64_t, bool, double, std::string, Base64, DateTime, Array, Struct>;

  Value() : m_v(std::string()) {}
  Value(int v) : m_v(int64_t{v}) {}              // NOLINT
  Value(int64_t v) : m_v(v) {}                   // NOLINT
  Value(bool v) : m_v(v) {}                      // NOLINT
  Value(double v) : m_v(v) {}                    // NOLINT
  Value(const char* v) : m_v(std::string(v)) {}  // NOLINT
  Value(std::string v) : m_v(std::move(v)) {}    // NOLINT
  Value(Base64 v) : m_v(std::move(v)) {}         // NOLINT
  Value(DateTime v) : m_v(std::move(v)) {}       // NOLINT
  Value(Array v) : m_v(std::move(v)) {}          // NOLINT
  Value(Struct v) : m_v(std::move(v)) {}         // NOLINT

  bool is_int() const { return std::holds_alternative<int64_t>(m_v); }
  bool is_bool() const { return std::holds_alternative<bool>(m_v); }
  bool is_double() const { return std::holds_alternative<double>(m_v); }
  bool is_string() const { return std::holds_alternative<std::string>(m_v); }
  bool is_array() const { return std::holds_alternative<Array>(m_v); }
  bool is_struct() const { return std::holds_alternative<Struct>(m_v); }

  int64_t as_int() const { return std::get<int64_t>(m_v); }
  bool as_bool() const { return std::get<bool>(m_v); }
  double as_double() const { return std::get<double>(m_v); }
  const std::string& as_string() const { return std::get<std::string>(m_v); }
  const Array& as_array() const { return std::get<Array>(m_v); }
  Array& as_array() { return std::get<Array>(m_v); }
  const Struct& as_struct() const { return std::get<Struct>(m_v); }
  Struct& as_struct() { return std::get<Struct>(m_v); }

  // Struct member lookup; nullptr when absent or not a struct.
  const Value* get(const std::string& key) const {
    if (!is_struct()) {
      return nullptr;
    }
    for (const auto& [k, v] : as_struct()) {
      if (k == key) {
        return &v;
      }
    }
    return nullptr;
  }

  const Storage& storage() const { return m_v; }
  bool operator==(const Value& o) const { return m_v == o.m_v; }

 private:
  Storage m_v;
};

// An XML-RPC fault (supervisor's codes live in rpc/faults.h).
struct Fault {
  int code = 0;
  std::string string;
  bool operator==(const Fault&) const = default;
};

}  // namespace tend::rpc
