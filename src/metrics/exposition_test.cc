#include "metrics/exposition.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "metrics/rpc_stats.h"

namespace tend::metrics {
namespace {

TEST(Exposition, FamilyHeadAndSamples) {
  std::string out;
  Exposition ex(out);
  ex.family("tend_x_total", Type::Counter, "Things.");
  ex.sample("tend_x_total", labels({{"group", "g"}, {"name", "n"}}), uint64_t{3});
  ex.sample("tend_x_total", "", 1.5);
  EXPECT_EQ(out,
            "# HELP tend_x_total Things.\n"
            "# TYPE tend_x_total counter\n"
            "tend_x_total{group=\"g\",name=\"n\"} 3\n"
            "tend_x_total 1.5\n");
}

TEST(Exposition, LabelValuesAndHelpAreEscaped) {
  EXPECT_EQ(labels({{"name", "a\\b\"c\nd"}}), "name=\"a\\\\b\\\"c\\nd\"");
  EXPECT_EQ(labels({{"name", "<é> {x=1}"}}), "name=\"<é> {x=1}\"");  // nothing else is special
  std::string out;
  Exposition ex(out);
  ex.family("m", Type::Gauge, "back\\slash\nnewline \"quotes\" stay");
  EXPECT_EQ(out, "# HELP m back\\\\slash\\nnewline \"quotes\" stay\n# TYPE m gauge\n");
}

TEST(Exposition, AnExtraLabelJoinsTheRenderedOnes) {
  std::string out;
  Exposition ex(out);
  ex.sample("s", labels({{"group", "g"}}), Label{"state", "RUN\"NING"}, 1.0);
  ex.sample("s", "", Label{"le", "+Inf"}, 0.0);
  EXPECT_EQ(out, "s{group=\"g\",state=\"RUN\\\"NING\"} 1\ns{le=\"+Inf\"} 0\n");
}

TEST(Exposition, ValuesAsTheFormatSpellsThem) {
  auto v = [](double d) {
    std::string s;
    append_value(s, d);
    return s;
  };
  EXPECT_EQ(v(0), "0");
  EXPECT_EQ(v(-7), "-7");
  EXPECT_EQ(v(1733300000), "1733300000");
  EXPECT_EQ(v(0.1), "0.1");
  EXPECT_EQ(v(1733300000.25), "1733300000.25");
  EXPECT_EQ(v(1e300), "1e+300");
  EXPECT_EQ(v(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(v(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(v(std::nan("")), "NaN");
}

TEST(RpcStatsTest, CountsAndCumulativeBuckets) {
  RpcStats stats;
  stats.record("supervisor.getPID", 0.0001);
  stats.record("supervisor.getPID", 0.003);
  stats.record("supervisor.startProcess", 30);
  std::string out;
  Exposition ex(out);
  stats.write(ex);
  EXPECT_NE(out.find("# TYPE tend_rpc_requests_total counter\n"), std::string::npos);
  EXPECT_NE(out.find("tend_rpc_requests_total{method=\"supervisor.getPID\"} 2\n"), std::string::npos);
  EXPECT_NE(out.find("# TYPE tend_rpc_request_duration_seconds histogram\n"), std::string::npos);
  const char* pid = "tend_rpc_request_duration_seconds_bucket{method=\"supervisor.getPID\",le=";
  EXPECT_NE(out.find(std::string(pid) + "\"0.0005\"} 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find(std::string(pid) + "\"0.0025\"} 1\n"), std::string::npos);
  EXPECT_NE(out.find(std::string(pid) + "\"0.005\"} 2\n"), std::string::npos);
  EXPECT_NE(out.find(std::string(pid) + "\"+Inf\"} 2\n"), std::string::npos);
  EXPECT_NE(out.find("tend_rpc_request_duration_seconds_count{method=\"supervisor.getPID\"} 2\n"),
            std::string::npos);
  const char* start = "tend_rpc_request_duration_seconds_bucket{method=\"supervisor.startProcess\",le=";
  EXPECT_NE(out.find(std::string(start) + "\"10\"} 0\n"), std::string::npos);  // beyond the last bound
  EXPECT_NE(out.find(std::string(start) + "\"+Inf\"} 1\n"), std::string::npos);
  EXPECT_NE(out.find("tend_rpc_request_duration_seconds_sum{method=\"supervisor.startProcess\"} 30\n"),
            std::string::npos);
}

TEST(RpcStatsTest, NoCallsStillDeclareTheFamilies) {
  RpcStats stats;
  std::string out;
  Exposition ex(out);
  stats.write(ex);
  EXPECT_EQ(out,
            "# HELP tend_rpc_requests_total XML-RPC calls answered, by method.\n"
            "# TYPE tend_rpc_requests_total counter\n"
            "# HELP tend_rpc_request_duration_seconds Time from an XML-RPC request to its complete reply, by "
            "method.\n"
            "# TYPE tend_rpc_request_duration_seconds histogram\n");
}

}  // namespace
}  // namespace tend::metrics
