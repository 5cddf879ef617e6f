#include "web/console.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <unordered_map>

#include <fmt/format.h>

#include "http/logtail.h"
#include "log/logger.h"
#include "rpc/log_read.h"
#include "rpc/process_info.h"
#include "util/signals.h"
#include "util/version.h"
#include "web/assets.h"
#include "web/gunzip.h"
#include "web/json.h"
#include "web/origin.h"
#include "web/page.h"
#include "web/query_actions.h"
#include "web/status_json.h"
#include "web/streams.h"
#include "web/text.h"

namespace tend::web {

namespace {

// On every page, asset and API answer: nothing but our own files may run or
// style the page, no framing, no MIME sniffing, no referrer to other sites.
const http::Headers& security_headers() {
  static const http::Headers k_headers = {
      {"Content-Security-Policy",
       "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "same-origin"},
  };
  return k_headers;
}

http::Headers with_security(http::Headers extra) {
  const http::Headers& s = security_headers();
  extra.insert(extra.end(), s.begin(), s.end());
  return extra;
}

constexpr std::string_view k_html = "text/html; charset=utf-8";
constexpr std::string_view k_json = "application/json";
// tail.html reads at most this much, whatever limit= asks (supervisord has no
// bound; a page of many megabytes helps nobody and costs tend the memory).
constexpr int64_t k_max_tail_limit = 4 * 1024 * 1024;

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), s.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
         });
}

// The query, with a POSTed form's fields on top (supervisord reads both).
Form request_form(const http::Request& rq) {
  Form form = parse_form(rq.query);
  const std::string* type = rq.header("content-type");
  if (rq.method == "POST" && type != nullptr && starts_with_ci(*type, "application/x-www-form-urlencoded")) {
    Form posted = parse_form(rq.body);
    for (auto& [k, v] : posted) {
      form[k] = std::move(v);
    }
  }
  return form;
}

std::string refusal_text(const CommandResult& r) {
  auto with_detail = [&](const char* what) {
    return r.detail.empty() ? std::string(what) : fmt::format("{}: {}", what, r.detail);
  };
  switch (r.refusal) {
    case Refusal::None: return "ok";
    case Refusal::BadName: return "no such process";
    case Refusal::AlreadyStarted: return "already started";
    case Refusal::NotRunning: return "not running";
    case Refusal::SpawnError: return with_detail("spawn error");
    case Refusal::NoFile: return with_detail("no such file");
    case Refusal::NotExecutable: return with_detail("file is not executable");
    case Refusal::UnknownState: return "in an unknown state";
    case Refusal::AbnormalTermination: return "abnormal termination";
    case Refusal::ShuttingDown: return "tend is shutting down";
    case Refusal::StillRunning: return "still running";
    case Refusal::AlreadyAdded: return "already added";
    case Refusal::CantReread: return with_detail("cannot read the configuration");
    case Refusal::Failed: return with_detail("failed");
  }
  return "failed";
}

}  // namespace

class WebConsole::Impl {
 public:
  Impl(EventLoop& loop, Supervisor& sup)
      : m_loop(loop),
        m_sup(sup),
        m_states(
            sup.bus(), [this] { return status_json(); },
            [this](const Process& p) { return process_json(p.group(), p, wall_seconds(), restarts(p)); },
            [this] { return supervisor_json(m_sup, wall_seconds()); }),
        m_logs(sup.bus()) {
    // Counts spawns for "restarts"; one cheap handler per state change.
    m_spawn_sub = sup.bus().subscribe(mask_of(EventKind::ProcessState) | mask_of(EventKind::Removed),
                                      [this](const Event& e) {
                                        if (const auto* s = std::get_if<ProcessStateChanged>(&e)) {
                                          if (s->to == ProcessState::Starting) {
                                            ++m_spawns[s->process];
                                          }
                                        } else if (const auto* r = std::get_if<ProcessRemoved>(&e)) {
                                          m_spawns.erase(r->process);
                                        }
                                      });
  }

  void handle(const http::Request& rq, const http::Response& rs) {
    std::string path = http::percent_decode(rq.path);
    size_t start = path.find_first_not_of('/');
    std::string_view rel = start == std::string::npos ? std::string_view() : std::string_view(path).substr(start);
    if (rel.empty() || rel == "index.html") {
      index(rq, rs);
    } else if (rel == "tail.html") {
      tail(rq, rs);
    } else if (rel.substr(0, 7) == "assets/") {
      asset(rq, rs, rel.substr(7));
    } else if (rel == "favicon.ico") {
      // Browsers ask for it on pages that name no icon (an error page, a
      // plain-text log); browsers take an SVG icon whatever its URL says.
      asset(rq, rs, "favicon.svg");
    } else if (rel == "api/status") {
      if (!get_only(rq, rs)) {
        return;
      }
      rs.send(200, k_json, status_json(), with_security({{"Cache-Control", "no-cache"}}));
    } else if (rel == "api/events") {
      if (rq.method != "GET") {
        json_error(rs, 405, "api/events takes GET");
        return;
      }
      m_states.serve(rs, security_headers());
    } else if (rel == "api/log") {
      log(rq, rs);
    } else if (rel == "api/action") {
      action(rq, rs);
    } else {
      rs.send(404, "text/html", http::error_body(404), security_headers());
    }
  }

 private:
  // ---- helpers ----
  uint64_t restarts(const Process& p) const {
    auto it = m_spawns.find(&p);
    return it == m_spawns.end() || it->second == 0 ? 0 : it->second - 1;
  }

  // Every process, in supervisord's page order: by group name, then by name.
  std::vector<std::pair<const Group*, const Process*>> sorted_processes() const {
    std::vector<std::pair<const Group*, const Process*>> out;
    out.reserve(m_sup.table().process_count());
    m_sup.table().for_each([&](const Group& g, const Process& p) { out.emplace_back(&g, &p); });
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      if (a.first->name() != b.first->name()) {
        return a.first->name() < b.first->name();
      }
      return a.second->name() < b.second->name();
    });
    return out;
  }

  std::string status_json() {
    double now = wall_seconds();
    std::string out = "{\"supervisor\":";
    out += supervisor_json(m_sup, now);
    out += ",\"processes\":[";
    bool first = true;
    for (const auto& [g, p] : sorted_processes()) {
      if (!first) {
        out += ',';
      }
      first = false;
      out += process_json(g->name(), *p, now, restarts(*p));
    }
    out += "]}";
    return out;
  }

  static void json_error(const http::Response& rs, int status, const std::string& message) {
    rs.send(status, k_json, JsonObject().boolean("ok", false).str("message", message).take(),
            with_security({{"Cache-Control", "no-cache"}}));
  }

  static bool get_only(const http::Request& rq, const http::Response& rs) {
    if (rq.method == "GET" || rq.method == "HEAD") {
      return true;
    }
    rs.send(405, "text/html", http::error_body(405), with_security({{"Allow", "GET, HEAD"}}));
    return false;
  }

  static void forbidden(const http::Response& rs) {
    rs.send(403, "text/plain; charset=utf-8",
            "refused: this request comes from a page of another site (Origin/Referer); actions are only "
            "accepted from the console itself or from clients that send neither header\n",
            security_headers());
  }

  // ---- supervisord's pages ----
  void index(const http::Request& rq, const http::Response& rs) {
    if (rq.method != "GET" && rq.method != "HEAD" && rq.method != "POST") {
      rs.send(405, "text/html", http::error_body(405), with_security({{"Allow", "GET, HEAD, POST"}}));
      return;
    }
    Form form = request_form(rq);
    QueryAction a = classify_query(form);
    if (rq.method == "HEAD") {
      a.kind = QueryKind::Page;  // a HEAD never acts (supervisord answers it 404)
    }
    if (changes_state(a.kind) && !same_site(rq)) {
      forbidden(rs);
      return;
    }
    if (a.kind == QueryKind::Page) {
      IndexView view;
      view.title = m_sup.config().supervisord.identifier;
      view.version = std::string(version());
      if (auto m = form.find("message"); m != form.end()) {
        view.message = m->second;
      }
      double now = wall_seconds();
      for (const auto& [g, p] : sorted_processes()) {
        rpc::Value info = rpc::process_info(g->name(), *p, now);
        const rpc::Value* state = info.get("statename");
        const rpc::Value* desc = info.get("description");
        view.rows.push_back(RowView{g->name(), p->name(), rpc::make_namespec(g->name(), p->name()),
                                    state != nullptr ? state->as_string() : "", desc != nullptr ? desc->as_string() : ""});
      }
      rs.send(200, k_html, render_index(view), with_security({{"Cache-Control", "no-cache"}}));
      return;
    }
    // The redirect's target is decided now: the request is gone by the time the action is over.
    std::string server = server_url(rq.header("host"));
    http::Response response = rs;
    run_query_action(
        m_sup, a, [response] { return response.alive(); },
        [response, server](std::optional<std::string> message) {
          if (!message) {
            response.send(500, "text/html", http::error_body(500), security_headers());
            return;
          }
          response.send(301, "text/html", http::error_body(301),
                        with_security({{"Location", message_location(server, *message)},
                                       {"Cache-Control", "no-cache"}}));
        });
  }

  void tail(const http::Request& rq, const http::Response& rs) {
    if (rq.method != "GET" && rq.method != "HEAD" && rq.method != "POST") {
      rs.send(405, "text/html", http::error_body(405), with_security({{"Allow", "GET, HEAD, POST"}}));
      return;
    }
    Form form = request_form(rq);
    TailView view;
    auto name = form.find("processname");
    if (name == form.end()) {
      view.text = "No process name found";
    } else {
      view.processname = name->second;
      auto limit = form.find("limit");
      view.limit = tail_limit(limit == form.end() ? nullptr : &limit->second, k_max_tail_limit);
      view.text = tail_text(name->second, view.limit);
    }
    rs.send(200, k_html, render_tail(view), with_security({{"Cache-Control", "no-cache"}}));
  }

  // supervisord's texts for what readProcessStdoutLog answers.
  std::string tail_text(const std::string& namespec, int64_t limit) const {
    rpc::Namespec n = rpc::split_namespec(namespec);
    const Process* p = n.process ? m_sup.table().find(n.group, *n.process) : nullptr;
    if (p == nullptr) {
      return fmt::format("ERROR: unexpected rpc fault [10] BAD_NAME: {}", namespec);
    }
    std::optional<std::string> path = rpc::process_logfile(p->config(), Stream::Stdout);
    if (!path) {
      return fmt::format("No file for {}", namespec);
    }
    rpc::ReadResult r = rpc::read_log_range(*path, -limit, 0);
    if (!r.ok) {
      if (::access(path->c_str(), F_OK) != 0) {
        return fmt::format("No file for {}", namespec);
      }
      return "ERROR: unexpected rpc fault [30] FAILED";
    }
    return r.data;
  }

  // ---- assets ----
  void asset(const http::Request& rq, const http::Response& rs, std::string_view name) {
    if (!get_only(rq, rs)) {
      return;
    }
    const Asset* a = find_asset(name);
    if (a == nullptr) {
      rs.send(404, "text/html", http::error_body(404), security_headers());
      return;
    }
    http::Headers headers =
        with_security({{"ETag", std::string(a->etag)}, {"Cache-Control", "no-cache"}, {"Vary", "Accept-Encoding"}});
    if (etag_matches(rq.header("if-none-match"), a->etag)) {
      rs.send(304, "", std::string(), headers);
      return;
    }
    if (accepts_gzip(rq.header("accept-encoding"))) {
      headers.emplace_back("Content-Encoding", "gzip");
      rs.send(200, a->content_type, std::string(a->gzip), headers);
    } else {
      Result<std::string> plain = gunzip(a->gzip);
      if (!plain) {
        main_logger().error("unable to serve {}: {}", a->name, plain.error());
        rs.send(500, "text/html", http::error_body(500), security_headers());
        return;
      }
      rs.send(200, a->content_type, std::move(*plain), headers);
    }
  }

  // ---- live logs ----
  void log(const http::Request& rq, const http::Response& rs) {
    if (rq.method != "GET") {
      json_error(rs, 405, "api/log takes GET");
      return;
    }
    Form form = parse_form(rq.query);
    std::string channel = form.count("channel") != 0 ? form["channel"] : "stdout";
    if (channel == "main") {
      const std::string& path = main_logger().path();
      m_logs.serve_main(rs, security_headers(), path == "syslog" ? std::string() : path);
      return;
    }
    if (channel != "stdout" && channel != "stderr") {
      json_error(rs, 400, fmt::format("unknown channel: {} (stdout, stderr or main)", channel));
      return;
    }
    auto name = form.find("processname");
    if (name == form.end()) {
      json_error(rs, 400, "processname is missing");
      return;
    }
    const Process* p = find_process(name->second);
    if (p == nullptr) {
      json_error(rs, 404, fmt::format("no such process: {}", name->second));
      return;
    }
    Stream s = channel == "stdout" ? Stream::Stdout : Stream::Stderr;
    m_logs.serve_process(rs, security_headers(), *p, s, rpc::process_logfile(p->config(), s).value_or(""));
  }

  const Process* find_process(const std::string& namespec) const {
    rpc::Namespec n = rpc::split_namespec(namespec);
    return n.process ? m_sup.table().find(n.group, *n.process) : nullptr;
  }

  // ---- POST api/action ----
  void action(const http::Request& rq, const http::Response& rs) {
    if (rq.method != "POST") {
      rs.send(405, k_json, JsonObject().boolean("ok", false).str("message", "api/action takes POST").take(),
              with_security({{"Allow", "POST"}}));
      return;
    }
    if (!same_site(rq)) {
      json_error(rs, 403, "refused: the request comes from a page of another site");
      return;
    }
    const std::string* type = rq.header("content-type");
    if (type == nullptr || !starts_with_ci(*type, "application/json")) {
      json_error(rs, 415, "the body must be JSON (Content-Type: application/json)");
      return;
    }
    Result<FlatObject> body = parse_flat_object(rq.body);
    if (!body) {
      json_error(rs, 400, body.error());
      return;
    }
    FlatObject& fields = *body;
    std::string what = fields["action"];
    std::string ns = fields["namespec"];
    http::Response response = rs;
    auto reply = [response](int status, bool ok, const std::string& message) {
      response.send(status, k_json, JsonObject().boolean("ok", ok).str("message", message).take(),
                    with_security({{"Cache-Control", "no-cache"}}));
    };
    if (what == "stopall" || what == "restartall") {
      QueryAction a;
      a.kind = what == "stopall" ? QueryKind::StopAll : QueryKind::RestartAll;
      run_query_action(
          m_sup, a, [response] { return response.alive(); },
          [reply](std::optional<std::string> message) { reply(200, true, message.value_or("")); });
      return;
    }
    if (what != "start" && what != "stop" && what != "restart" && what != "signal" && what != "clearlog") {
      reply(400, false, fmt::format("unknown action: {} (start, stop, restart, signal, clearlog, stopall, restartall)",
                                    what));
      return;
    }
    const Process* p = find_process(ns);
    if (p == nullptr) {
      reply(404, false, fmt::format("no such process: {}", ns));
      return;
    }
    auto answer = [reply, ns](const char* done_text) {
      return [reply, ns, done_text](CommandResult r) {
        if (r.ok()) {
          reply(200, true, fmt::format("{}: {}", ns, done_text));
        } else {
          reply(409, false, fmt::format("{}: {}", ns, refusal_text(r)));
        }
      };
    };
    Commands& commands = m_sup.commands();
    if (what == "start") {
      commands.start(*p, true, Waiter{answer("started")});
    } else if (what == "stop") {
      commands.stop(*p, true, Waiter{answer("stopped")});
    } else if (what == "restart") {
      Supervisor* sup = &m_sup;
      auto done = answer("restarted");
      commands.stop(*p, true, Waiter{[sup, p, done, reply, ns](CommandResult r) {
                      if (!r.ok() && r.refusal != Refusal::NotRunning) {
                        reply(409, false, fmt::format("{}: {}", ns, refusal_text(r)));
                        return;
                      }
                      if (!sup->table().contains(p)) {
                        reply(404, false, fmt::format("no such process: {}", ns));
                        return;
                      }
                      sup->commands().start(*p, true, Waiter{done});
                    }});
    } else if (what == "signal") {
      std::string name = fields["signal"];
      std::optional<int> sig = signal_number(name);
      if (!sig) {
        reply(400, false, fmt::format("bad signal name: {}", name));
        return;
      }
      answer("signalled")(commands.signal(*p, *sig));
    } else {
      answer("log cleared")(commands.clear_logs(*p));
    }
  }

  EventLoop& m_loop;
  Supervisor& m_sup;
  std::unordered_map<const Process*, uint64_t> m_spawns;
  EventBus::Subscription m_spawn_sub;
  StateStreams m_states;
  LogStreams m_logs;
};

WebConsole::WebConsole(EventLoop& loop, Supervisor& sup) : m_impl(std::make_unique<Impl>(loop, sup)) {}
WebConsole::~WebConsole() = default;

void WebConsole::install(http::HttpServer& server) {
  Impl* impl = m_impl.get();
  server.route("/", [impl](const http::Request& rq, const http::Response& rs) { impl->handle(rq, rs); });
}

}  // namespace tend::web
