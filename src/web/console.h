// The web console: supervisord's page contract (/, /index.html with its query
// API, /tail.html) and tend's live console (/assets/*, /api/status,
// /api/events, /api/log, /api/action) on the control plane's HTTP server,
// behind its listeners' basic auth. docs/web.md describes every endpoint.
//
// It reads the process table, changes things only through the command layer,
// and follows the EventBus; it never polls.
#pragma once

#include <memory>

#include "core/supervisor.h"
#include "http/server.h"
#include "sys/event_loop.h"

namespace tend::web {

class WebConsole {
 public:
  WebConsole(EventLoop& loop, Supervisor& sup);
  // Ends the open streams.
  ~WebConsole();
  WebConsole(const WebConsole&) = delete;
  WebConsole& operator=(const WebConsole&) = delete;

  // Routes "/" (everything no longer prefix claims) to the console. The
  // console must outlive the server's connections.
  void install(http::HttpServer& server);

 private:
  class Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace tend::web
