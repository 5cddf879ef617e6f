#include "rpc/config_info.h"

#include "log/stream.h"
#include "rpc/process_info.h"

namespace tend::rpc {

Value config_info(const GroupConfig& g, const ProcessConfig& p, bool inuse, const ProcessConfig* running) {
  auto logfile = [&](Stream s) -> Value {
    const ChannelConfig& ch = s == Stream::Stdout ? p.stdout_ch : p.stderr_ch;
    if (s == Stream::Stderr && p.redirect_stderr) {
      return Value("none");
    }
    switch (ch.logfile.kind) {
      case LogTarget::Kind::Path:
        return Value(ch.logfile.path);
      case LogTarget::Kind::Auto:
        if (running != nullptr) {
          if (std::optional<std::string> path = process_logfile(*running, s)) {
            return Value(*path);
          }
        }
        return Value("auto");
      default:
        return Value("none");
    }
  };
  auto syslog = [&](const ChannelConfig& ch) { return Value(ch.syslog || ch.logfile.kind == LogTarget::Kind::Syslog); };
  Array exitcodes;
  for (int c : p.exitcodes) {
    exitcodes.emplace_back(c);
  }
  std::string serverurl = p.serverurl.empty() || p.serverurl == "AUTO" ? "none" : p.serverurl;
  return Value(Struct{
      {"autostart", Value(p.autostart)},
      {"directory", p.directory ? Value(*p.directory) : Value("none")},
      {"uid", p.uid ? Value(static_cast<int64_t>(*p.uid)) : Value("none")},
      {"command", Value(p.command)},
      {"exitcodes", Value(std::move(exitcodes))},
      {"group", Value(g.name)},
      {"group_prio", Value(g.priority)},
      {"inuse", Value(inuse)},
      {"killasgroup", Value(p.killasgroup)},
      {"name", Value(p.name)},
      {"process_prio", Value(p.priority)},
      {"redirect_stderr", Value(p.redirect_stderr)},
      {"startretries", Value(p.startretries)},
      {"startsecs", Value(p.startsecs)},
      {"stdout_capture_maxbytes", Value(p.stdout_ch.capture_maxbytes)},
      {"stdout_events_enabled", Value(p.stdout_ch.events_enabled)},
      {"stdout_logfile", logfile(Stream::Stdout)},
      {"stdout_logfile_backups", Value(p.stdout_ch.logfile_backups)},
      {"stdout_logfile_maxbytes", Value(p.stdout_ch.logfile_maxbytes)},
      {"stdout_syslog", syslog(p.stdout_ch)},
      {"stopsignal", Value(p.stopsignal)},
      {"stopwaitsecs", Value(p.stopwaitsecs)},
      {"stderr_capture_maxbytes", Value(p.stderr_ch.capture_maxbytes)},
      {"stderr_events_enabled", Value(p.stderr_ch.events_enabled)},
      {"stderr_logfile", logfile(Stream::Stderr)},
      {"stderr_logfile_backups", Value(p.stderr_ch.logfile_backups)},
      {"stderr_logfile_maxbytes", Value(p.stderr_ch.logfile_maxbytes)},
      {"stderr_syslog", syslog(p.stderr_ch)},
      {"serverurl", Value(serverurl)},
  });
}

}  // namespace tend::rpc
