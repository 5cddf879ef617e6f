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
#include "rpc/dispatcher.h"

namespace tend::http {

// `dispatcher` must outlive the server.
void install_xmlrpc_route(HttpServer& server, const rpc::Dispatcher& dispatcher);

// GET/POST /ok.html -> 200 text/plain "OK".
void install_ok_route(HttpServer& server);

}  // namespace tend::http
