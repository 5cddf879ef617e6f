// supervisor's XML-RPC fault codes (the numbers are part of the wire protocol:
// supervisorctl maps them to messages and exit codes) and the helper that
// builds a Fault whose string is "NAME" or "NAME: extra".
#pragma once

#include <string>
#include <string_view>

#include "rpc/value.h"

namespace tend::rpc {

namespace faults {
constexpr int k_unknown_method = 1;
constexpr int k_incorrect_parameters = 2;
constexpr int k_bad_arguments = 3;
constexpr int k_signature_unsupported = 4;
constexpr int k_shutdown_state = 6;
constexpr int k_bad_name = 10;
constexpr int k_bad_signal = 11;
constexpr int k_no_file = 20;
constexpr int k_not_executable = 21;
constexpr int k_failed = 30;
constexpr int k_abnormal_termination = 40;
constexpr int k_spawn_error = 50;
constexpr int k_already_started = 60;
constexpr int k_not_running = 70;
constexpr int k_success = 80;
constexpr int k_already_added = 90;
constexpr int k_still_running = 91;
constexpr int k_cant_reread = 92;
}  // namespace faults

// The symbolic name of a fault code ("BAD_NAME"), or "UNKNOWN_FAULT" for a code
// supervisor does not define.
inline std::string_view fault_name(int code) {
  switch (code) {
    case faults::k_unknown_method: return "UNKNOWN_METHOD";
    case faults::k_incorrect_parameters: return "INCORRECT_PARAMETERS";
    case faults::k_bad_arguments: return "BAD_ARGUMENTS";
    case faults::k_signature_unsupported: return "SIGNATURE_UNSUPPORTED";
    case faults::k_shutdown_state: return "SHUTDOWN_STATE";
    case faults::k_bad_name: return "BAD_NAME";
    case faults::k_bad_signal: return "BAD_SIGNAL";
    case faults::k_no_file: return "NO_FILE";
    case faults::k_not_executable: return "NOT_EXECUTABLE";
    case faults::k_failed: return "FAILED";
    case faults::k_abnormal_termination: return "ABNORMAL_TERMINATION";
    case faults::k_spawn_error: return "SPAWN_ERROR";
    case faults::k_already_started: return "ALREADY_STARTED";
    case faults::k_not_running: return "NOT_RUNNING";
    case faults::k_success: return "SUCCESS";
    case faults::k_already_added: return "ALREADY_ADDED";
    case faults::k_still_running: return "STILL_RUNNING";
    case faults::k_cant_reread: return "CANT_REREAD";
    default: return "UNKNOWN_FAULT";
  }
}

// Fault{code, "NAME"} when extra is empty, else Fault{code, "NAME: extra"}.
inline Fault make_fault(int code, std::string extra = "") {
  std::string text(fault_name(code));
  if (!extra.empty()) {
    text += ": ";
    text += extra;
  }
  return Fault{code, std::move(text)};
}

}  // namespace tend::rpc
