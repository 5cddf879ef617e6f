#include "daemon/xmlrpc_route.h"

#include <chrono>

#include "rpc/codec.h"

namespace tend::http {

namespace {

void send_outcome(const Response& response, rpc::Outcome outcome) {
  if (auto* v = std::get_if<rpc::Value>(&outcome)) {
    std::string body = response.take_buffer();
    rpc::encode_response_into(body, *v);
    response.send(200, "text/xml", std::move(body));
  } else if (auto* f = std::get_if<rpc::Fault>(&outcome)) {
    response.send(200, "text/xml", rpc::encode_fault(*f));
  } else {
    response.send_error(500);
  }
}

}  // namespace

void install_xmlrpc_route(HttpServer& server, const rpc::Dispatcher& dispatcher, metrics::RpcStats* stats) {
  server.route("/RPC2", [&dispatcher, stats](const Request& request, const Response& response) {
    if (request.method != "POST") {
      response.send_error(400);
      return;
    }
    Result<rpc::Call> call = rpc::parse_call(request.body);
    if (!call.ok()) {
      response.send_error(400);
      return;
    }
    rpc::Reply::Sink sink = [response](rpc::Outcome outcome) { send_outcome(response, std::move(outcome)); };
    if (stats != nullptr) {
      std::string method = dispatcher.find(call->method) != nullptr ? call->method : std::string("other");
      sink = [send = std::move(sink), stats, method = std::move(method),
              begun = std::chrono::steady_clock::now()](rpc::Outcome outcome) {
        std::chrono::duration<double> took = std::chrono::steady_clock::now() - begun;
        stats->record(method, took.count());
        send(std::move(outcome));
      };
    }
    rpc::Reply reply(std::move(sink));
    dispatcher.dispatch(*call, reply);
    if (!reply.done()) {
      response.on_abort([reply] { reply.abandon(); });
    }
  });
}

void install_ok_route(HttpServer& server) {
  server.route("/ok.html", [](const Request& request, const Response& response) {
    if (request.path != "/ok.html") {
      response.send_error(404);
      return;
    }
    response.send(200, "text/plain", "OK");
  });
}

}  // namespace tend::http
