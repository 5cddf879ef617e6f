// /metrics: Prometheus' text format (0.0.4) on the control servers, behind
// each listener's credentials like every route but the probes.
//
// Everything is read when scraped: the process table, tend's counters, and
// /proc (one scan for the CPU and memory of every program's process tree,
// sys/proc_usage.h: ProcScanner keeps the trees' stat files open between
// scrapes and skips processes outside them). docs/containers.md lists the families.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/supervisor.h"
#include "http/server.h"
#include "metrics/rpc_stats.h"
#include "sys/proc_usage.h"

namespace tend::events {
class ListenerPools;
}

namespace tend::rpc {

class MetricsSource {
 public:
  // `pools` may be nullptr (no event listener machinery); all three must
  // outlive this object.
  MetricsSource(Supervisor& sup, const metrics::RpcStats& rpc, const events::ListenerPools* pools,
                std::string proc_root = "/proc");

  // One scrape, appended to `out`.
  void render(std::string& out);

 private:
  void render_tend(metrics::Exposition& ex, const ProcUsage* self);
  void render_processes(metrics::Exposition& ex, ProcForest& forest);
  void render_pools(metrics::Exposition& ex);

  Supervisor& m_sup;
  const metrics::RpcStats& m_rpc;
  const events::ListenerPools* m_pools;
  std::string m_proc_root;
  ProcScanner m_scanner;              // keeps the stat files of the trees open between scrapes
  std::vector<ProcUsage> m_snapshot;  // reused: its capacity survives scrapes
  std::vector<pid_t> m_roots;         // the programs' pids, reused likewise
  struct Row {  // what render_processes() shows of one process
    std::string labels;  // group="...",name="..."
    ProcessState state = ProcessState::Stopped;
    bool ever_started = false;
    bool exited = false;
    double laststart = 0;
    uint64_t spawns = 0;
    int exit_code = 0;
    std::optional<uint64_t> log_bytes[2];  // by Stream; none without a channel
    TreeUsage tree;
  };
  std::vector<Row> m_rows;  // render_processes()', reused likewise
  size_t m_last_size = 0;   // of the last scrape's text
};

// Installs GET /metrics (exactly that path; HEAD too). `source` must outlive `server`.
void install_metrics_route(http::HttpServer& server, MetricsSource& source);

}  // namespace tend::rpc
