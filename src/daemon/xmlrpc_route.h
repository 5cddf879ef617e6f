// Ready-made routes: XML-RPC over HTTP as supervisord serves it, and the
// /ok.html health check.
//
// XML-RPC: POST to any path starting with /RPC2 (another method: 400; POST
// without Content-Length: 411, from the connection). Unparsable XML or no
// methodName: 400. Otherwise 200 text/xml with the result or the fault; an
// InternalError outcome is a 500. A deferred reply whose client leaves is
// abandoned (Reply::wanted() turns false).
#pragma once

#include "http/server.h"
#include "metrics/rpc_stats.h"
#include "rpc/dispatcher.h"

namespace tend::http {

// `dispatcher` (and `stats`, when given) must outlive the server. `stats`
// records every call that completes, under its method name when the method
// is registered, else under "other"; an abandoned call is not recorded.
void install_xmlrpc_route(HttpServer& server, const rpc::Dispatcher& dispatcher,
                          metrics::RpcStats* stats = nullptr);

// GET/POST /ok.html -> 200 text/plain "OK".
void install_ok_route(HttpServer& server);

}  // namespace tend::http
