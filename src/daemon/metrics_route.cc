#include "daemon/metrics_route.h"

#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <optional>

#include <fmt/format.h>

#include "events/listener_pools.h"
#include "sys/exit_status.h"
#include "util/version.h"

namespace tend::rpc {

namespace {

using metrics::Exposition;
using metrics::Label;
using metrics::Type;

constexpr std::array<ProcessState, 8> k_states{ProcessState::Stopped, ProcessState::Starting,
                                               ProcessState::Running, ProcessState::Backoff,
                                               ProcessState::Stopping, ProcessState::Exited,
                                               ProcessState::Fatal,   ProcessState::Unknown};

// Descriptors tend holds open. Since Linux 6.2, stat() of /proc/<pid>/fd
// gives their number as its size: one syscall. Listing the directory (older
// kernels, where the size is 0) builds a dentry per fd, which with a
// thousand programs' pipes costs milliseconds.
int64_t open_fds(const std::string& proc_root) {
  std::string dir = proc_root + "/self/fd";
  struct stat st {};
  if (stat(dir.c_str(), &st) == 0 && st.st_size > 0) {
    return static_cast<int64_t>(st.st_size);
  }
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    return -1;
  }
  int64_t n = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') {
      ++n;
    }
  }
  closedir(d);
  return n - 1;  // less the listing's own fd
}

double cpu_seconds_of_self() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

}  // namespace

MetricsSource::MetricsSource(Supervisor& sup, const metrics::RpcStats& rpc,
                             const events::ListenerPools* pools, std::string proc_root)
    : m_sup(sup), m_rpc(rpc), m_pools(pools), m_proc_root(proc_root), m_scanner(std::move(proc_root)) {}

void MetricsSource::render(std::string& out) {
  // The text grows by tens of bytes a time: room for about the last size at once.
  size_t start = out.size();
  out.reserve(start + m_last_size + m_last_size / 8);
  Exposition ex(out);
  // A failed scan leaves the snapshot empty: the per-tree families are then
  // left out, the rest is still worth a scrape.
  m_roots.clear();
  for (const auto& g : m_sup.table().groups()) {
    for (const auto& p : g->processes) {
      if (p->pid() > 0) {
        m_roots.push_back(p->pid());
      }
    }
  }
  (void)m_scanner.scan(m_snapshot, m_roots);
  ProcForest forest(m_snapshot);
  const ProcUsage* self = nullptr;
  pid_t me = getpid();
  for (const ProcUsage& u : m_snapshot) {
    if (u.pid == me) {
      self = &u;
      break;
    }
  }
  render_tend(ex, self);
  render_processes(ex, forest);
  render_pools(ex);
  m_rpc.write(ex);
  // What the next scrape reads: tend and every process of a program's tree.
  m_scanner.settle(m_snapshot, [&forest, me](pid_t pid) { return pid == me || forest.walked(pid); });
  m_last_size = out.size() - start;
}

void MetricsSource::render_tend(Exposition& ex, const ProcUsage* self) {
  ex.family("tend_build_info", Type::Gauge, "Always 1; the version label is tend's version.");
  ex.sample("tend_build_info", metrics::labels({{"version", version()}}), 1.0);
  double start = m_sup.start_wall();
  ex.family("tend_start_time_seconds", Type::Gauge, "When tend started, in seconds since the Unix epoch.");
  ex.sample("tend_start_time_seconds", "", start);
  ex.family("tend_uptime_seconds", Type::Gauge, "Seconds since tend started.");
  ex.sample("tend_uptime_seconds", "", std::max(0.0, m_sup.loop().clock().wall_now() - start));
  ex.family("tend_cpu_seconds_total", Type::Counter, "CPU time tend itself has used (user and system).");
  ex.sample("tend_cpu_seconds_total", "", cpu_seconds_of_self());
  if (self != nullptr) {
    ex.family("tend_resident_memory_bytes", Type::Gauge, "tend's resident memory.");
    ex.sample("tend_resident_memory_bytes", "", self->rss_pages * static_cast<uint64_t>(page_size_bytes()));
  }
  int64_t fds = open_fds(m_proc_root);
  if (fds >= 0) {
    ex.family("tend_open_fds", Type::Gauge, "File descriptors tend holds open.");
    ex.sample("tend_open_fds", "", static_cast<uint64_t>(fds));
  }
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    ex.family("tend_max_fds", Type::Gauge, "tend's limit of open file descriptors (RLIMIT_NOFILE, soft).");
    ex.sample("tend_max_fds", "", static_cast<uint64_t>(rl.rlim_cur));
  }
}

void MetricsSource::render_processes(Exposition& ex, ProcForest& forest) {
  // One pass over the processes copies what the families need into rows
  // (reused from scrape to scrape, label strings' capacity included): with
  // a thousand programs, going back to each process and its output channels
  // once per family costs more in cache misses than the text does.
  std::vector<Row>& rows = m_rows;
  size_t n = 0;
  for (const auto& g : m_sup.table().groups()) {
    for (const auto& p : g->processes) {
      if (n == rows.size()) {
        rows.emplace_back();
      }
      Row& r = rows[n++];
      r.labels.clear();
      metrics::append_labels(r.labels, {{"group", p->group()}, {"name", p->name()}});
      r.state = p->state();
      r.ever_started = p->fsm().ever_started();
      r.laststart = r.ever_started ? p->fsm().laststart_wall() : 0.0;
      r.spawns = p->fsm().spawns();
      r.exited = p->has_exited();
      r.exit_code = r.exited ? exit_code_of(p->last_wait_status()) : 0;
      for (Stream s : {Stream::Stdout, Stream::Stderr}) {
        const OutputChannel* ch = static_cast<const Process&>(*p).sink(s);
        r.log_bytes[static_cast<size_t>(s)] = ch != nullptr ? std::optional(ch->bytes_received()) : std::nullopt;
      }
      r.tree = p->pid() > 0 ? forest.tree(p->pid()) : TreeUsage{};
    }
  }
  rows.resize(n);
  ex.family("tend_process_state", Type::Gauge,
            "1 for the state the process is in (the state label), 0 for the others.");
  for (const Row& r : rows) {
    for (ProcessState k : k_states) {
      ex.sample("tend_process_state", r.labels, Label{"state", state_name(k)}, r.state == k ? 1.0 : 0.0);
    }
  }
  ex.family("tend_process_start_time_seconds", Type::Gauge,
            "When the process was last started, in seconds since the Unix epoch (absent if never started).");
  for (const Row& r : rows) {
    if (r.ever_started) {
      ex.sample("tend_process_start_time_seconds", r.labels, r.laststart);
    }
  }
  ex.family("tend_process_restarts_total", Type::Counter,
            "Times the process was started again after its first start (automatic or asked for).");
  for (const Row& r : rows) {
    ex.sample("tend_process_restarts_total", r.labels, r.spawns > 0 ? r.spawns - 1 : 0);
  }
  ex.family("tend_process_last_exit_status", Type::Gauge,
            "Exit status of the last run that ended: its exit code, or 128 + the signal that killed it.");
  for (const Row& r : rows) {
    if (r.exited) {
      ex.sample("tend_process_last_exit_status", r.labels, static_cast<double>(r.exit_code));
    }
  }
  double tick = 1.0 / static_cast<double>(clock_ticks_per_second());
  uint64_t page = static_cast<uint64_t>(page_size_bytes());
  ex.family("tend_process_cpu_seconds_total", Type::Counter,
            "CPU time of the running process and all its descendants (with the exited children they waited "
            "for), read from /proc when scraped.");
  for (const Row& r : rows) {
    if (r.tree.processes > 0) {
      ex.sample("tend_process_cpu_seconds_total", r.labels, static_cast<double>(r.tree.cpu_ticks) * tick);
    }
  }
  ex.family("tend_process_resident_memory_bytes", Type::Gauge,
            "Resident memory of the running process and all its descendants, read from /proc when scraped.");
  for (const Row& r : rows) {
    if (r.tree.processes > 0) {
      ex.sample("tend_process_resident_memory_bytes", r.labels, r.tree.rss_pages * page);
    }
  }
  ex.family("tend_process_tree_processes", Type::Gauge,
            "Processes in the running process's tree (itself and its descendants).");
  for (const Row& r : rows) {
    if (r.tree.processes > 0) {
      ex.sample("tend_process_tree_processes", r.labels, static_cast<uint64_t>(r.tree.processes));
    }
  }
  ex.family("tend_process_log_bytes_total", Type::Counter,
            "Bytes the process wrote on each output stream, as tend received them.");
  for (const Row& r : rows) {
    for (Stream s : {Stream::Stdout, Stream::Stderr}) {
      if (const auto& bytes = r.log_bytes[static_cast<size_t>(s)]) {
        ex.sample("tend_process_log_bytes_total", r.labels, Label{"stream", stream_name(s)},
                  static_cast<double>(*bytes));
      }
    }
  }
}

void MetricsSource::render_pools(Exposition& ex) {
  if (m_pools == nullptr || m_pools->pool_count() == 0) {
    return;
  }
  ex.family("tend_eventlistener_queue_events", Type::Gauge,
            "Events waiting in an event listener pool's buffer, by pool ([eventlistener:x] name).");
  m_pools->for_each_pool([&ex](std::string_view name, const events::Pool& pool) {
    ex.sample("tend_eventlistener_queue_events", metrics::labels({{"pool", name}}),
              static_cast<uint64_t>(pool.buffer().size()));
  });
}

void install_metrics_route(http::HttpServer& server, MetricsSource& source) {
  server.route("/metrics", [&source](const http::Request& rq, const http::Response& rs) {
    if (rq.path != "/metrics") {
      rs.send_error(404);
      return;
    }
    if (rq.method != "GET" && rq.method != "HEAD") {
      rs.send_error(405);
      return;
    }
    std::string body = rs.take_buffer();
    source.render(body);
    rs.send(200, "text/plain; version=0.0.4; charset=utf-8", std::move(body), {{"Cache-Control", "no-store"}});
  });
}

}  // namespace tend::rpc
