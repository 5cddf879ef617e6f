// The sd_notify datagram: what a program sends to $NOTIFY_SOCKET, parsed.
//
// Wire format (systemd's public sd_notify interface): one datagram holds
// assignments NAME=VALUE separated by newlines. tend acts on:
//   READY=1                the program is ready (ends STARTING)
//   STATUS=text            a one-line status, shown in the description
//   STOPPING=1             the program has begun to stop (logged)
//   RELOADING=1            the program reloads its configuration (logged)
//   WATCHDOG=1             a watchdog ping (watchdog_sec)
//   WATCHDOG=trigger       the program asks for its watchdog action now
//   WATCHDOG_USEC=N        the watchdog interval for this run, in µs (0: off)
//   EXTEND_TIMEOUT_USEC=N  not ready yet: the ready deadline moves to at
//                          least N µs from now
//   BARRIER=1              comes with a file descriptor; the sender waits until
//                          the receiver closes it (NotifySocket closes every
//                          received fd once the datagram is handled)
// Other names (MAINPID, ERRNO, FDSTORE, ...) are accepted and not acted on. A
// line without '=' and a value that is not what the name takes are skipped
// and reported in `problems`; the other lines of the datagram still count.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tend::health {

struct NotifyMessage {
  bool ready = false;
  bool stopping = false;
  bool reloading = false;
  bool watchdog_ping = false;
  bool watchdog_trigger = false;
  bool barrier = false;
  std::optional<std::string> status;
  std::optional<uint64_t> extend_timeout_usec;
  std::optional<uint64_t> watchdog_usec;
  std::vector<std::string> ignored;   // names tend does not act on, in order
  std::vector<std::string> problems;  // lines skipped, with the reason
};

// Parses one datagram. Never fails: what cannot be understood is skipped
// (problems). A NUL byte ends the message, as it would for a C sender.
NotifyMessage parse_notify_message(std::string_view text);

}  // namespace tend::health
