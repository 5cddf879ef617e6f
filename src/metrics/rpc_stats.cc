#include "metrics/rpc_stats.h"

#include <fmt/format.h>

namespace tend::metrics {

void RpcStats::record(std::string_view method, double seconds) {
  auto it = m_methods.find(method);
  if (it == m_methods.end()) {
    it = m_methods.emplace(std::string(method), PerMethod{}).first;
  }
  PerMethod& m = it->second;
  ++m.count;
  m.sum += seconds;
  for (size_t i = 0; i < k_buckets.size(); ++i) {
    if (seconds <= k_buckets[i]) {
      ++m.buckets[i];
      break;
    }
  }
}

void RpcStats::write(Exposition& out) const {
  out.family("tend_rpc_requests_total", Type::Counter, "XML-RPC calls answered, by method.");
  for (const auto& [method, m] : m_methods) {
    out.sample("tend_rpc_requests_total", labels({{"method", method}}), m.count);
  }
  out.family("tend_rpc_request_duration_seconds", Type::Histogram,
             "Time from an XML-RPC request to its complete reply, by method.");
  for (const auto& [method, m] : m_methods) {
    std::string l = labels({{"method", method}});
    uint64_t cumulative = 0;
    for (size_t i = 0; i < k_buckets.size(); ++i) {
      cumulative += m.buckets[i];
      std::string le = fmt::format("{}", k_buckets[i]);
      out.sample("tend_rpc_request_duration_seconds_bucket", l, Label{"le", le}, static_cast<double>(cumulative));
    }
    out.sample("tend_rpc_request_duration_seconds_bucket", l, Label{"le", "+Inf"}, static_cast<double>(m.count));
    out.sample("tend_rpc_request_duration_seconds_sum", l, m.sum);
    out.sample("tend_rpc_request_duration_seconds_count", l, m.count);
  }
}

}  // namespace tend::metrics
