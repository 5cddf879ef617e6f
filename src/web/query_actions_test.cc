#include "web/query_actions.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "fakes/scoped_tz.h"

namespace tend::web {
namespace {

TEST(WebQuery, Classify) {
  EXPECT_EQ(classify_query(parse_form("")).kind, QueryKind::Page);
  EXPECT_EQ(classify_query(parse_form("message=hi")).kind, QueryKind::Page);
  EXPECT_EQ(classify_query(parse_form("action=refresh")).kind, QueryKind::Refresh);
  EXPECT_EQ(classify_query(parse_form("action=stopall&processname=x")).kind, QueryKind::StopAll);
  EXPECT_EQ(classify_query(parse_form("action=restartall")).kind, QueryKind::RestartAll);
  EXPECT_EQ(classify_query(parse_form("action=start")).kind, QueryKind::Invalid);
  EXPECT_EQ(classify_query(parse_form("action=bogus")).kind, QueryKind::Invalid);
  EXPECT_EQ(classify_query(parse_form("processname=&action=start")).kind, QueryKind::Invalid);
  QueryAction a = classify_query(parse_form("processname=grp%3Ab&action=stop"));
  EXPECT_EQ(a.kind, QueryKind::Process);
  EXPECT_EQ(a.namespec, "grp:b");
  EXPECT_EQ(a.action, "stop");
  // An unknown action on a process is decided later (unknown process first).
  EXPECT_EQ(classify_query(parse_form("processname=x&action=Start")).kind, QueryKind::Process);
}

TEST(WebQuery, OnlyRealActionsAreCheckedCrossSite) {
  EXPECT_FALSE(changes_state(QueryKind::Page));
  EXPECT_FALSE(changes_state(QueryKind::Refresh));
  EXPECT_TRUE(changes_state(QueryKind::StopAll));
  EXPECT_TRUE(changes_state(QueryKind::RestartAll));
  EXPECT_TRUE(changes_state(QueryKind::Process));
  EXPECT_TRUE(changes_state(QueryKind::Invalid));
}

TEST(WebQuery, MessagesAreSupervisords) {
  EXPECT_EQ(start_message("a", CommandResult::success()), "Process a started");
  EXPECT_EQ(start_message("a", CommandResult::refused(Refusal::AlreadyStarted)),
            "ERROR: Process a: already started");
  EXPECT_EQ(start_message("a", CommandResult::refused(Refusal::NoFile, "x")), "ERROR: Process a: no such file");
  EXPECT_EQ(start_message("a", CommandResult::refused(Refusal::NotExecutable, "x")),
            "ERROR: Process a: file not executable");
  EXPECT_EQ(start_message("a", CommandResult::refused(Refusal::SpawnError)), "ERROR: Process a: spawn error");
  EXPECT_EQ(start_message("a", CommandResult::refused(Refusal::AbnormalTermination)),
            "ERROR: Process a: abnormal termination");
  EXPECT_EQ(start_message("a", CommandResult::refused(Refusal::ShuttingDown)),
            "ERROR: Process a: unexpected rpc fault [6] SHUTDOWN_STATE");
  EXPECT_EQ(stop_message("g:b", CommandResult::success()), "Process g:b stopped");
  EXPECT_EQ(stop_message("a", CommandResult::refused(Refusal::NotRunning)),
            "unexpected rpc fault [70] NOT_RUNNING: a");
  EXPECT_EQ(clearlog_message("a", CommandResult::success()), "Log for a cleared");
  EXPECT_EQ(restart_message("a"), "Process a restarted");
  EXPECT_EQ(no_such_process_message("grp:*"), "No such process named grp:*");
  ScopedTz utc("UTC");
  EXPECT_EQ(refresh_message(1796399491), "Page refreshed at Fri Dec  4 15:51:31 2026");
  EXPECT_EQ(stopall_message(1796399491), "All stopped at Fri Dec  4 15:51:31 2026");
  EXPECT_EQ(restartall_message(1796399491), "All restarted at Fri Dec  4 15:51:31 2026");
}

TEST(WebQuery, TailLimit) {
  auto limit = [](const char* v) {
    std::string s = v;
    return tail_limit(&s, 1 << 20);
  };
  EXPECT_EQ(tail_limit(nullptr, 1 << 20), 1024);
  EXPECT_EQ(limit("5"), 1024);
  EXPECT_EQ(limit("5000"), 5000);
  EXPECT_EQ(limit("abc"), 1024);
  EXPECT_EQ(limit("-5000"), 1024);
  EXPECT_EQ(limit(""), 1024);
  EXPECT_EQ(limit("99999999999999999999999999"), 1 << 20);
}

TEST(WebQuery, RedirectTargets) {
  std::string host = "127.0.0.1:9001";
  EXPECT_EQ(message_location(server_url(&host), "Process a stopped"),
            "http://127.0.0.1:9001/?message=Process%20a%20stopped");
  std::string h80 = "example.com:80";
  EXPECT_EQ(server_url(&h80), "http://example.com");
  std::string v6 = "[::1]:9001";
  EXPECT_EQ(server_url(&v6), "http://[::1]:9001");
  EXPECT_EQ(server_url(nullptr), "http://localhost");
}

}  // namespace
}  // namespace tend::web
