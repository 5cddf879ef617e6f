// tend-ini-dump: a test and debugging aid for the config layer.
//   tend-ini-dump FILE          print how the INI parser reads FILE, as JSON:
//                               {"DEFAULT": [[key, value], ...], "sections": [[name, [[key, value], ...]], ...]}
//   tend-ini-dump --load FILE   run the whole loader (includes, expansion, validation)
//                               and print a summary of the result and its warnings
//   tend-ini-dump --load-json FILE
//                               the loaded groups and processes as JSON (for differential tests)
// Errors go to stderr as "Error: <message>" with exit status 2, as tend does.
#include <fmt/format.h>

#include <cstring>
#include <string>

#include "config/ini_parser.h"
#include "config/loader.h"

namespace {

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(u));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string json_entries(const tend::IniSection& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.entries.size(); ++i) {
    out += fmt::format("{}[{}, {}]", i ? ", " : "", json_string(s.entries[i].first),
                       json_string(s.entries[i].second.value));
  }
  return out + "]";
}

int dump(const char* path) {
  tend::IniDocument doc;
  if (tend::Status s = doc.read_file(path); !s) {
    fmt::print(stderr, "Error: {}\n", s.error());
    return 2;
  }
  fmt::print("{{\"DEFAULT\": {},\n \"sections\": [", json_entries(doc.defaults()));
  for (size_t i = 0; i < doc.sections().size(); ++i) {
    const tend::IniSection& s = doc.sections()[i];
    fmt::print("{}\n  [{}, {}]", i ? "," : "", json_string(s.name), json_entries(s));
  }
  fmt::print("]}}\n");
  return 0;
}

const char* kind_name(tend::LogTarget::Kind k) {
  switch (k) {
    case tend::LogTarget::Kind::None: return "NONE";
    case tend::LogTarget::Kind::Auto: return "AUTO";
    case tend::LogTarget::Kind::Syslog: return "syslog";
    default: return "path";
  }
}

int load(const char* path) {
  tend::LoadOptions opts;
  opts.path = path;
  opts.environ = tend::current_environ();
  tend::Result<tend::Config> cfg = tend::load_config(opts);
  if (!cfg) {
    fmt::print(stderr, "Error: {}\n", cfg.error());
    return 2;
  }
  const tend::SupervisordConfig& sd = cfg->supervisord;
  fmt::print("supervisord: logfile={} loglevel={} pidfile={} nodaemon={} childlogdir={} identifier={}\n",
             sd.logfile, sd.loglevel, sd.pidfile, sd.nodaemon, sd.childlogdir, sd.identifier);
  for (const auto& h : cfg->http_servers) {
    fmt::print("server [{}]: file={} host={} port={}\n", h.section, h.file, h.host, h.port);
  }
  for (const auto& g : cfg->groups) {
    fmt::print("group {} priority={}\n", g.name, g.priority);
    for (const auto& p : g.processes) {
      fmt::print("  process {} priority={} command={} stdout={}:{}\n", p.name, p.priority,
                 json_string(p.command), kind_name(p.stdout_ch.logfile.kind), p.stdout_ch.logfile.path);
    }
  }
  for (const auto& w : cfg->warnings) {
    fmt::print("{}: {}\n", w.level, w.message);
  }
  return 0;
}

// `global` is [supervisord] environment, merged under the process's own as supervisord does.
std::string json_process(const tend::ProcessConfig& p, const tend::EnvList& global) {
  tend::EnvList merged = global;
  for (const auto& [k, v] : p.environment) {
    bool replaced = false;
    for (auto& [mk, mv] : merged) {
      if (mk == k) {
        mv = v;
        replaced = true;
      }
    }
    if (!replaced) {
      merged.emplace_back(k, v);
    }
  }
  std::string env = "{";
  for (size_t i = 0; i < merged.size(); ++i) {
    env += fmt::format("{}{}: {}", i ? ", " : "", json_string(merged[i].first), json_string(merged[i].second));
  }
  env += "}";
  auto logfile = [](const tend::ChannelConfig& c) {
    return c.logfile.kind == tend::LogTarget::Kind::Path ? json_string(c.logfile.path)
                                                         : json_string(kind_name(c.logfile.kind));
  };
  return fmt::format(
      "{{\"name\": {}, \"command\": {}, \"priority\": {}, \"autostart\": {}, \"autorestart\": {}, "
      "\"startsecs\": {}, \"startretries\": {}, \"stopsignal\": {}, \"stopwaitsecs\": {}, \"exitcodes\": [{}], "
      "\"stopasgroup\": {}, \"killasgroup\": {}, \"redirect_stderr\": {}, \"directory\": {}, "
      "\"stdout_logfile\": {}, \"stderr_logfile\": {}, \"stdout_maxbytes\": {}, \"stdout_syslog\": {}, "
      "\"environment\": {}}}",
      json_string(p.name), json_string(p.command), p.priority, p.autostart, static_cast<int>(p.autorestart),
      p.startsecs, p.startretries, p.stopsignal, p.stopwaitsecs, fmt::join(p.exitcodes, ", "), p.stopasgroup,
      p.killasgroup, p.redirect_stderr, p.directory ? json_string(*p.directory) : "null", logfile(p.stdout_ch),
      logfile(p.stderr_ch), p.stdout_ch.logfile_maxbytes, p.stdout_ch.syslog, env);
}

int load_json(const char* path) {
  tend::LoadOptions opts;
  opts.path = path;
  opts.environ = tend::current_environ();
  tend::Result<tend::Config> cfg = tend::load_config(opts);
  if (!cfg) {
    fmt::print(stderr, "Error: {}\n", cfg.error());
    return 2;
  }
  fmt::print("[");
  for (size_t i = 0; i < cfg->groups.size(); ++i) {
    const tend::GroupConfig& g = cfg->groups[i];
    fmt::print("{}\n {{\"name\": {}, \"priority\": {}, \"processes\": [", i ? "," : "", json_string(g.name),
               g.priority);
    for (size_t k = 0; k < g.processes.size(); ++k) {
      fmt::print("{}\n  {}", k ? "," : "", json_process(g.processes[k], cfg->supervisord.environment));
    }
    fmt::print("]}}");
  }
  fmt::print("]\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--help") != 0) {
    return dump(argv[1]);
  }
  if (argc == 3 && std::strcmp(argv[1], "--load") == 0) {
    return load(argv[2]);
  }
  if (argc == 3 && std::strcmp(argv[1], "--load-json") == 0) {
    return load_json(argv[2]);
  }
  fmt::print(stderr, "usage: {} FILE | --load FILE | --load-json FILE\n", argv[0]);
  return 2;
}
