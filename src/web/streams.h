// The console's server-sent event streams:
//   api/events: the process table, live (snapshot, process, removed, supervisor);
//   api/log:    one log (a process's stdout/stderr, or the main log), live.
// Both are fed by the EventBus (and the main logger's line observer): no
// timers, no polling, and no heartbeat, so an idle client costs nothing
// until something happens. The bus is subscribed to only while a client is
// connected.
//
// A slow client: every write first checks what is still queued for it; past
// k_max_backlog the stream is ended instead of growing tend's memory. The
// browser's EventSource then reconnects and starts again from a snapshot
// (api/events) or the log's last 16 KiB (api/log), so a client that falls
// behind loses intermediate frames, never the current state.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/event_bus.h"
#include "core/supervisor.h"
#include "http/connection.h"
#include "http/message.h"

namespace tend::web {

// Queued bytes past which a stream is ended (see above).
constexpr size_t k_max_backlog = 256 * 1024;
// The log bytes a new api/log client gets first.
constexpr size_t k_log_head_bytes = 16 * 1024;

class StateStreams {
 public:
  using StatusJson = std::function<std::string()>;                   // the api/status document
  using ProcessJson = std::function<std::string(const Process& p)>;  // one P
  using SupervisorJson = std::function<std::string()>;               // S
  StateStreams(EventBus& bus, StatusJson status, ProcessJson process, SupervisorJson supervisor);
  // Ends every stream.
  ~StateStreams();
  StateStreams(const StateStreams&) = delete;
  StateStreams& operator=(const StateStreams&) = delete;

  void serve(const http::Response& response, const http::Headers& headers);
  size_t clients() const { return m_clients.size(); }

 private:
  void on_event(const Event& e);
  void broadcast(const std::string& frame);
  void drop(uint64_t id);

  EventBus& m_bus;
  StatusJson m_status;
  ProcessJson m_process;
  SupervisorJson m_supervisor;
  EventBus::Subscription m_sub;  // active while there are clients
  std::unordered_map<uint64_t, http::Response> m_clients;
  uint64_t m_next_id = 1;
  std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

class LogStreams {
 public:
  explicit LogStreams(EventBus& bus);
  // Ends every stream and removes the main-log observer.
  ~LogStreams();
  LogStreams(const LogStreams&) = delete;
  LogStreams& operator=(const LogStreams&) = delete;

  // A process's channel: `path` is its log file ("" for none) for the first
  // k_log_head_bytes; then each chunk the program writes.
  void serve_process(const http::Response& response, const http::Headers& headers, const Process& p, Stream channel,
                     const std::string& path);
  // The main log: its file's end, then each line the main logger writes.
  void serve_main(const http::Response& response, const http::Headers& headers, const std::string& path);
  // A process's streams get `event: reset` when its logs are cleared (ProcessLogsCleared), by whom
  // ever: supervisorctl, XML-RPC, the page or a console.
  size_t clients() const { return m_clients.size(); }

 private:
  struct Client {
    http::Response response;
    const Process* process = nullptr;  // nullptr: the main log
    Stream channel = Stream::Stdout;
    std::string pending;  // the start of a UTF-8 character split by a chunk boundary
    EventBus::Subscription sub;
  };
  bool begin(const http::Response& response, const http::Headers& headers, const std::string& path);
  uint64_t add(Client c);
  // Sends one frame; ends the stream (and forgets it) when the client is
  // gone or too far behind.
  void send(uint64_t id, const std::string& frame);
  // A program's bytes as a data frame, completing a character split by the
  // previous chunk.
  void send_bytes(uint64_t id, std::string_view data);
  void drop(uint64_t id);

  EventBus& m_bus;
  std::unordered_map<uint64_t, Client> m_clients;
  size_t m_main_clients = 0;
  bool m_observer_set = false;  // the main logger's observer is ours
  uint64_t m_next_id = 1;
  std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

}  // namespace tend::web
