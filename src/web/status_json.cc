#include "web/status_json.h"

#include <time.h>
#include <unistd.h>

#include "rpc/process_info.h"
#include "util/version.h"
#include "web/json.h"

namespace tend::web {

namespace {

const rpc::Value& field(const rpc::Value& info, const char* key) {
  static const rpc::Value k_none;
  const rpc::Value* v = info.get(key);
  return v != nullptr ? *v : k_none;
}

int64_t int_field(const rpc::Value& info, const char* key) {
  const rpc::Value& v = field(info, key);
  return v.is_int() ? v.as_int() : 0;
}

std::string string_field(const rpc::Value& info, const char* key) {
  const rpc::Value& v = field(info, key);
  return v.is_string() ? v.as_string() : std::string();
}

}  // namespace

double wall_seconds() {
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::string process_json(const std::string& group, const Process& p, double now, uint64_t restarts) {
  rpc::Value info = rpc::process_info(group, p, now);
  rpc::CheckView checks = rpc::check_view(p);
  const ProcessNotes& notes = p.notes();
  int64_t pid = int_field(info, "pid");
  int64_t start = int_field(info, "start");
  int64_t now_s = int_field(info, "now");
  std::optional<bool> ready;
  if (checks.ready_check) {
    ready = checks.ready;
  }
  std::optional<bool> healthy;
  if (checks.health_check && notes.health != ProcessNotes::Health::Unknown) {
    healthy = notes.health == ProcessNotes::Health::Healthy;
  }
  std::string logs = "[";
  for (Stream s : {Stream::Stdout, Stream::Stderr}) {
    if (rpc::process_logfile(p.config(), s)) {
      if (logs.size() > 1) {
        logs += ',';
      }
      logs += s == Stream::Stdout ? "\"stdout\"" : "\"stderr\"";
    }
  }
  logs += ']';
  JsonObject o;
  o.str("group", group)
      .str("name", p.name())
      .str("namespec", rpc::make_namespec(group, p.name()))
      .str("state", string_field(info, "statename"))
      .num("statecode", int_field(info, "state"))
      .str("description", string_field(info, "description"))
      .num("pid", pid)
      .num("start", start)
      .num("stop", int_field(info, "stop"))
      .num("now", now_s)
      .num("exitstatus", int_field(info, "exitstatus"))
      .str("spawnerr", string_field(info, "spawnerr"))
      .num("restarts", static_cast<int64_t>(restarts))
      .num("uptime_seconds", pid != 0 && start > 0 && now_s > start ? now_s - start : 0)
      .tristate("ready", ready)
      .tristate("healthy", healthy)
      .str("health_detail", notes.health_detail)
      .raw("logs", logs);
  return o.take();
}

const char* supervisor_state_text(SupervisorState s) {
  switch (s) {
    case SupervisorState::Running: return "RUNNING";
    case SupervisorState::Restarting: return "RESTARTING";
    default: return "SHUTDOWN";
  }
}

std::string supervisor_json(const Supervisor& sup, double now) {
  JsonObject o;
  o.str("state", supervisor_state_text(sup.state()))
      .num("pid", static_cast<int64_t>(getpid()))
      .str("version", version())
      .str("identification", sup.config().supervisord.identifier)
      .num("started", static_cast<int64_t>(sup.start_wall()))
      .num("now", static_cast<int64_t>(now));
  return o.take();
}

}  // namespace tend::web
