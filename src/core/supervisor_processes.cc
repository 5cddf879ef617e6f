// The supervisor's process side: making a Process from its configuration
// (output channels, AUTO logs, console), adding and removing groups and
// processes, and what every child inherits (environment, server URL).
#include <algorithm>

#include <fmt/format.h>

#include "core/dependency_scheduler.h"
#include "core/exit_policy.h"
#include "core/supervisor.h"
#include "log/auto_log.h"
#include "log/logger.h"

namespace tend {

namespace {

// supervisord's log line comes first, so it is there even when binding fails.
Result<SharedSocket> open_fcgi_socket(const GroupConfig::FcgiSocket& cfg) {
  main_logger().info("Creating socket {}", cfg.url);
  SharedSocketOptions o;
  o.backlog = cfg.backlog;
  o.owner_uid = cfg.owner_uid;
  o.owner_gid = cfg.owner_gid;
  o.mode = cfg.mode;
  Result<SharedSocket> s = SharedSocket::open(cfg.url, o);
  if (!s) {
    return make_error(fmt::format("Could not create FastCGI socket {}: {}", cfg.url, s.error()));
  }
  return s;
}

}  // namespace

std::unique_ptr<Process> Supervisor::make_process(const ProcessConfig& given, const Group& group) {
  ProcessConfig pc = given;
  Process::Setup setup{FsmParams::from(pc), {}, group.socket ? &*group.socket : nullptr};
  if (is_main_program(pc, m_config.supervisord.main_program)) {
    setup.fsm.autorestart = AutoRestart::Never;  // its exit ends tend instead
  }
  const SupervisordConfig& sc = m_config.supervisord;
  auto make_channel = [&](ChannelConfig& ch, Stream stream) {
    OutputChannelOptions o;
    o.process_name = pc.name;
    o.namespec = pc.group == pc.name ? pc.name : pc.group + ":" + pc.name;
    o.stream = stream;
    o.maxbytes = ch.logfile_maxbytes;
    o.backups = ch.logfile_backups;
    o.strip_ansi = sc.strip_ansi;
    o.syslog = ch.syslog || ch.logfile.kind == LogTarget::Kind::Syslog;
    o.console = m_console_on;
    bool used = stream == Stream::Stdout || !pc.redirect_stderr;
    o.capture_maxbytes = used ? ch.capture_maxbytes : 0;
    if (used && ch.logfile.kind == LogTarget::Kind::Auto) {
      if (ch.logfile.path.empty()) {
        Result<std::string> path = create_auto_log(sc.childlogdir, pc.name, stream, sc.identifier);
        if (path) {
          ch.logfile.path = *path;
          setup.auto_log_filled[static_cast<int>(stream)] = true;
        } else {
          main_logger().error("{}", path.error());
        }
      }
      o.logfile = ch.logfile.path;
    } else if (used && ch.logfile.kind == LogTarget::Kind::Path) {
      o.logfile = ch.logfile.path;
    }
    OutputSinks sinks;
    sinks.logger = &main_logger();
    sinks.console = &m_console;
    return std::make_unique<OutputChannel>(o, sinks);
  };
  auto out = make_channel(pc.stdout_ch, Stream::Stdout);
  auto err = make_channel(pc.stderr_ch, Stream::Stderr);
  return std::make_unique<Process>(std::move(pc), std::move(setup), m_loop, *this, std::move(out), std::move(err));
}

void Supervisor::insert_process(Group& g, const ProcessConfig& pc) {
  Process& p = m_table.add_process(g, make_process(pc, g));
  if (m_lifecycle.running()) {
    m_deps->added(p);
  }
}

Status Supervisor::add_group(const GroupConfig& cfg, bool start) {
  if (m_table.find_group(cfg.name) != nullptr) {
    return make_error(fmt::format("group {} already added", cfg.name));
  }
  // An fcgi group's socket exists before the group does: a group whose
  // socket cannot be bound is not added (as supervisord).
  std::optional<SharedSocket> socket;
  if (cfg.fcgi_socket) {
    Result<SharedSocket> s = open_fcgi_socket(*cfg.fcgi_socket);
    if (!s) {
      return make_error(s.error());
    }
    socket.emplace(std::move(*s));
  }
  Group& g = m_table.add_group(cfg);
  g.socket = std::move(socket);
  // Every process is in before the first spawns: a spawn's events may look
  // at the group.
  std::vector<Process*> added;
  for (const ProcessConfig& pc : cfg.processes) {
    added.push_back(&m_table.add_process(g, make_process(pc, g)));
  }
  m_table.announce_group(g);
  if (start && m_lifecycle.running()) {
    for (Process* p : added) {
      m_deps->added(*p);
    }
  }
  return ok_status();
}

Status Supervisor::remove_group(const std::string& name) {
  const Group* g = m_table.find_group(name);
  if (g == nullptr) {
    return make_error(fmt::format("no such group: {}", name));
  }
  for (const auto& p : g->processes) {
    if (!is_stopped_state(p->state())) {
      return make_error(fmt::format("process {} of group {} is still running", p->name(), name));
    }
  }
  m_table.remove_group(name);
  return ok_status();
}

Status Supervisor::add_process(const ProcessConfig& pc) {
  Group* g = m_table.mutable_group(pc.group);
  if (g == nullptr) {
    return make_error(fmt::format("no such group: {}", pc.group));
  }
  if (m_table.find(pc.group, pc.name) != nullptr) {
    return make_error(fmt::format("process {}:{} already added", pc.group, pc.name));
  }
  insert_process(*g, pc);
  return ok_status();
}

Status Supervisor::remove_process(const std::string& group, const std::string& name) {
  Group* g = m_table.mutable_group(group);
  const Process* p = m_table.find(group, name);
  if (g == nullptr || p == nullptr) {
    return make_error(fmt::format("no such process: {}:{}", group, name));
  }
  if (!is_stopped_state(p->state())) {
    return make_error(fmt::format("process {}:{} is still running", group, name));
  }
  m_table.remove_process(*g, p);
  return ok_status();
}

ConfigDiff Supervisor::diff_against(const Config& next) const {
  std::vector<GroupConfig> running;
  running.reserve(m_table.groups().size());
  for (const auto& g : m_table.groups()) {
    running.push_back(m_table.configured(*g));
  }
  std::vector<const GroupConfig*> ptrs;
  ptrs.reserve(running.size());
  for (const GroupConfig& g : running) {
    ptrs.push_back(&g);
  }
  return diff_groups(ptrs, next.groups);
}

void Supervisor::refresh_console_width() {
  size_t width = 0;
  m_table.for_each([&](const Group&, const Process& p) { width = std::max(width, p.name().size()); });
  m_console.set_name_width(width);
}

std::string Supervisor::server_url() const {
  for (const HttpServerConfig& s : m_config.http_servers) {
    if (s.kind == HttpServerConfig::Kind::Unix) {
      return "unix://" + s.file;
    }
  }
  for (const HttpServerConfig& s : m_config.http_servers) {
    return fmt::format("http://{}:{}", s.host.empty() ? "localhost" : s.host, s.port);
  }
  return "";
}

EnvList Supervisor::inherited_environment(const ProcessConfig& cfg) {
  EnvList env = m_base_env;
  EnvList extra{{"SUPERVISOR_ENABLED", "1"}};
  std::string url = cfg.serverurl.empty() || cfg.serverurl == "AUTO" ? server_url() : cfg.serverurl;
  if (!url.empty()) {
    extra.emplace_back("SUPERVISOR_SERVER_URL", url);
  }
  extra.emplace_back("SUPERVISOR_PROCESS_NAME", cfg.name);
  extra.emplace_back("SUPERVISOR_GROUP_NAME", cfg.group);
  env_merge(env, extra);
  return env;
}

void Supervisor::reopen_logs() {
  if (Status st = main_logger().reopen(); !st) {
    main_logger().error("{}", st.error());
  }
  for (const auto& g : m_table.groups()) {
    for (const auto& p : g->processes) {
      for (Stream s : {Stream::Stdout, Stream::Stderr}) {
        if (OutputChannel* ch = p->sink(s); ch != nullptr && ch->file() != nullptr) {
          if (Status st = ch->reopen(); !st) {
            main_logger().error("{}", st.error());
          }
        }
      }
    }
  }
}

}  // namespace tend
