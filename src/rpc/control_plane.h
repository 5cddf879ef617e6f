// The control plane: the HTTP servers of [unix_http_server] / [inet_http_server]
// serving supervisord's XML-RPC (supervisor.* and system.*), /logtail,
// /mainlogtail and /ok.html, bound to one Supervisor.
#pragma once

#include <memory>

#include "config/model.h"
#include "core/event_loop.h"
#include "core/supervisor.h"
#include "util/result.h"

namespace tend::rpc {

class ControlPlane {
 public:
  virtual ~ControlPlane() = default;  // closes listeners, unlinks unix sockets
};

// Opens every configured server. Errors name the section and line
// ("unable to bind 127.0.0.1:9001: Address already in use").
Result<std::unique_ptr<ControlPlane>> start_control_plane(EventLoop& loop, Supervisor& sup, const Config& cfg);

}  // namespace tend::rpc
