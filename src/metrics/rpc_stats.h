// Counts of XML-RPC calls by method and a histogram of how long they took,
// from the moment the request was parsed to the moment its reply was
// complete (a startProcess that waits counts its wait). Kept by the XML-RPC
// route, shown by /metrics.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "metrics/exposition.h"

namespace tend::metrics {

class RpcStats {
 public:
  // Upper bounds of the histogram buckets, in seconds (+Inf comes on top).
  static constexpr std::array<double, 14> k_buckets{0.0005, 0.001, 0.0025, 0.005, 0.01,  0.025, 0.05,
                                                    0.1,    0.25,  0.5,    1,     2.5,   5,     10};

  // One call of `method` that took `seconds`. The caller passes only the
  // names of registered methods (anything else as "other"), so the number of
  // label values stays bounded whatever clients send.
  void record(std::string_view method, double seconds);

  // tend_rpc_requests_total and tend_rpc_request_duration_seconds.
  void write(Exposition& out) const;

 private:
  struct PerMethod {
    uint64_t count = 0;
    double sum = 0;
    std::array<uint64_t, k_buckets.size()> buckets{};  // not cumulative
  };
  std::map<std::string, PerMethod, std::less<>> m_methods;
};

}  // namespace tend::metrics
