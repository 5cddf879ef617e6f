// Kubernetes-style probes on the control servers, answered without
// credentials on every listener (they reveal only states):
//   /healthz  200 "ok" whenever tend's event loop answers at all (liveness).
//   /readyz   200 "ready" when every autostart program is up, else 503 with
//             one line per program that is not (readiness).
// Both take GET and HEAD on exactly their path; anything else under them is
// 404, another method 405.
#pragma once

#include <string>

#include "core/supervisor.h"
#include "http/server.h"

namespace tend::rpc {

// Why tend is not ready: one "<namespec> <what>" line per autostart program
// that is not up, or a single line while tend shuts down or restarts; empty
// when ready. A program counts as up when it is
//   RUNNING, and ready when it has a readiness check (ready= other than
//   running), and healthy when it has a health check (no result yet is not
//   healthy);
//   EXITED with an expected exit code and no restart to come (a oneshot= job
//   that completed, or a program autorestart does not restart after an
//   expected exit): it did its work;
// and never for any other state. Programs with schedule= are left out (they
// run at their times) and so are programs with autostart=false.
std::string readiness_problems(const Supervisor& sup);

// Installs /healthz and /readyz as public routes. `sup` must outlive `server`.
void install_probe_routes(http::HttpServer& server, const Supervisor& sup);

}  // namespace tend::rpc
