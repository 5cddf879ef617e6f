// The control plane: the HTTP servers of [unix_http_server] / [inet_http_server]
// serving supervisord's XML-RPC (supervisor.* and system.*), /logtail,
// /mainlogtail and /ok.html, tend's probes (/healthz, /readyz) and /metrics,
// bound to one Supervisor.
#pragma once

#include <memory>
#include <vector>

#include "config/model.h"
#include "sys/event_loop.h"
#include "core/supervisor.h"
#include "util/result.h"

namespace tend::events {
class ListenerPools;
}

namespace tend::rpc {

class ControlPlane {
 public:
  virtual ~ControlPlane() = default;  // closes listeners, unlinks unix sockets
};

// Opens a listener for each of `servers` (each keeps its own credentials; the
// sections are not referenced after this returns, so a reload that replaces
// the supervisor's config leaves the listeners as they are). Errors name the
// section and line ("unable to bind 127.0.0.1:9001: Address already in use").
// `pools` (may be nullptr) feeds /metrics its event listener queues and must
// outlive the control plane.
Result<std::unique_ptr<ControlPlane>> start_control_plane(EventLoop& loop, Supervisor& sup,
                                                          const std::vector<HttpServerConfig>& servers,
                                                          const events::ListenerPools* pools = nullptr);

}  // namespace tend::rpc
