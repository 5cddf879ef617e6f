// The tend.* XML-RPC namespace: tend's own state of each process beyond what
// supervisord reports, structured for tools (tendctl health, probes,
// dashboards). Read-only; the supervisor.* answers stay supervisord's.
//
//   tend.getProcessHealth(name)  one process ("group:name", or "name")
//   tend.getAllProcessHealth()   every process, in getAllProcessInfo's order
//   tend.getAllConfigInfo()      supervisor.getAllConfigInfo's array, each
//                                struct followed by the tend keys of the
//                                process's section under their own names
//                                (rpc/config_info.h): durations as doubles,
//                                counts as ints, flags as booleans, the rest as
//                                the text the key reads back ("tcp:db:5432",
//                                "db:ready, cache:started", "1024:4096",
//                                "" when unset); environment_file is not
//                                shown (its paths are not kept)
//
// The health structs:
//   name, group, statename   strings; state: int (supervisord's numbers)
//   autostart                boolean
//   ready                    boolean: ready now (RUNNING, and its readiness
//                            check passed when it has one)
//   ready_check              "running" (startsecs), "notify", "fd", "tcp",
//                            "http", "exec" or "file"
//   healthcheck              "" without a health check, else its kind
//   health                   "none" (no check), "unknown", "healthy", "unhealthy"
//   health_detail            e.g. "3 failures: connection refused"
//   status                   the program's last sd_notify STATUS=
//   waiting_for              what it is held back for, e.g. "db (ready)"; ""
//   completed                boolean: EXITED with an expected exit code
//   depends_on               array of {name, condition} as configured
#pragma once

#include "core/supervisor.h"
#include "rpc/dispatcher.h"
#include "util/result.h"

namespace tend::rpc {

// Registers the tend.* methods on `d`; `sup` and `d` must outlive every call.
Status install_tend_api(Dispatcher& d, const Supervisor& sup);

// One process's struct (the list above).
Value process_health(const std::string& group, const Process& p);

}  // namespace tend::rpc
