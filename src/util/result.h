// Result<T>: a value or an error message. The project's one way for a fallible
// function to report failure without exceptions (the event loop never throws).
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace tend {

struct Error {
  std::string message;
};

template <typename T>
class Result {
 public:
  Result(T value) : m_v(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error err) : m_v(std::move(err)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return m_v.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(m_v); }
  const T& value() const { return std::get<0>(m_v); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const std::string& error() const { return std::get<1>(m_v).message; }

 private:
  std::variant<T, Error> m_v;
};

// For functions that return nothing but may fail.
struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() { return Ok{}; }

inline Error make_error(std::string message) { return Error{std::move(message)}; }

}  // namespace tend
