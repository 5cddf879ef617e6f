#include "ctl/format.h"

#include <gtest/gtest.h>

namespace tend::ctl {
namespace {

rpc::Value info(const std::string& group, const std::string& name, const std::string& statename,
                int state, const std::string& desc) {
  return rpc::Value(rpc::Struct{{"name", rpc::Value(name)},
                                {"group", rpc::Value(group)},
                                {"statename", rpc::Value(statename)},
                                {"state", rpc::Value(state)},
                                {"description", rpc::Value(desc)}});
}

rpc::Value result(const std::string& group, const std::string& name, int status,
                  const std::string& desc = "OK") {
  return rpc::Value(rpc::Struct{{"name", rpc::Value(name)},
                                {"group", rpc::Value(group)},
                                {"status", rpc::Value(status)},
                                {"description", rpc::Value(desc)}});
}

TEST(CtlNamespec, SplitsGroupAndProcess) {
  EXPECT_EQ(split_namespec("g:p"), (Namespec{"g", "p"}));
  EXPECT_EQ(split_namespec("g:"), (Namespec{"g", std::nullopt}));
  EXPECT_EQ(split_namespec("g:*"), (Namespec{"g", std::nullopt}));
  EXPECT_EQ(split_namespec("x"), (Namespec{"x", "x"}));
  // Only the first colon separates.
  EXPECT_EQ(split_namespec("a:b:c"), (Namespec{"a", "b:c"}));
  EXPECT_EQ(split_namespec(":p"), (Namespec{"", "p"}));
}

TEST(CtlNamespec, MakeUsesShortFormForSameNames) {
  EXPECT_EQ(make_namespec("web", "web"), "web");
  EXPECT_EQ(make_namespec("grp", "web"), "grp:web");
}

TEST(CtlExitStatus, FaultMapping) {
  EXPECT_EQ(exit_status_after_fault(0, fault::k_success), 0);
  EXPECT_EQ(exit_status_after_fault(1, fault::k_success), 1);
  EXPECT_EQ(exit_status_after_fault(0, fault::k_spawn_error), 7);
  EXPECT_EQ(exit_status_after_fault(0, fault::k_abnormal_termination), 7);
  EXPECT_EQ(exit_status_after_fault(0, fault::k_not_running), 7);
  EXPECT_EQ(exit_status_after_fault(0, fault::k_bad_name), 1);
  EXPECT_EQ(exit_status_after_fault(7, fault::k_bad_name), 1);
  EXPECT_EQ(exit_status_after_fault(0, fault::k_already_started, fault::k_already_started), 0);
  EXPECT_EQ(exit_status_after_fault(0, fault::k_not_running, fault::k_not_running), 0);
  EXPECT_EQ(exit_status_after_fault(0, fault::k_already_started, fault::k_not_running), 1);
}

TEST(CtlStoppedStates, AreTheOnesThatMakeStatusExit3) {
  EXPECT_TRUE(is_stopped_state(state::k_stopped));
  EXPECT_TRUE(is_stopped_state(state::k_exited));
  EXPECT_TRUE(is_stopped_state(state::k_fatal));
  EXPECT_TRUE(is_stopped_state(state::k_unknown));
  EXPECT_FALSE(is_stopped_state(state::k_running));
  EXPECT_FALSE(is_stopped_state(state::k_starting));
  EXPECT_FALSE(is_stopped_state(state::k_backoff));
  EXPECT_FALSE(is_stopped_state(state::k_stopping));
}

TEST(CtlStatusLines, PadsNamespecTo33AndStateTo10) {
  std::vector<StatusRow> rows = {
      status_row_from(info("web", "web", "RUNNING", 20, "pid 12, uptime 0:00:05")),
      status_row_from(info("grp", "a", "STOPPED", 0, "Not started")),
  };
  std::vector<std::string> lines = format_status_lines(rows, false);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "web" + std::string(30, ' ') + "RUNNING   pid 12, uptime 0:00:05");
  EXPECT_EQ(lines[1], "grp:a" + std::string(28, ' ') + "STOPPED   Not started");
}

TEST(CtlStatusLines, WidensForLongNamesAndKeepsTrailingSpaces) {
  std::string longname(40, 'x');
  std::vector<StatusRow> rows = {status_row_from(info(longname, longname, "STARTING", 10, "")),
                                 status_row_from(info("a", "a", "STOPPING", 40, ""))};
  std::vector<std::string> lines = format_status_lines(rows, false);
  EXPECT_EQ(lines[0], longname + "   STARTING  ");
  EXPECT_EQ(lines[1], "a" + std::string(42, ' ') + "STOPPING  ");
}

TEST(CtlStatusLines, StateLongerThanColumnIsNotCut) {
  std::vector<StatusRow> rows = {status_row_from(info("a", "a", "VERYLONGSTATE", 1000, "d"))};
  EXPECT_EQ(format_status_lines(rows, false)[0], "a" + std::string(32, ' ') + "VERYLONGSTATEd");
}

TEST(CtlStatusLines, PadsByCharactersNotBytes) {
  std::vector<StatusRow> rows = {status_row_from(info("caf\xc3\xa9", "caf\xc3\xa9", "RUNNING", 20, ""))};
  EXPECT_EQ(format_status_lines(rows, false)[0], "caf\xc3\xa9" + std::string(29, ' ') + "RUNNING   ");
}

TEST(CtlStatusLines, ColourWrapsOnlyTheStateName) {
  std::vector<StatusRow> rows = {status_row_from(info("a", "a", "RUNNING", 20, "x")),
                                 status_row_from(info("b", "b", "STOPPED", 0, "y"))};
  std::vector<std::string> lines = format_status_lines(rows, true);
  EXPECT_EQ(lines[0], "a" + std::string(32, ' ') + "\033[32mRUNNING\033[0m   x");
  EXPECT_EQ(lines[1], "b" + std::string(32, ' ') + "\033[2mSTOPPED\033[0m   y");
}

TEST(CtlStatusLines, ColourOfEachState) {
  auto coloured = [](std::string name, int code, bool expected = false) {
    StatusRow row = status_row_from(info("p", "p", name, code, ""));
    row.exited_expected = expected;
    std::string line = format_status_lines({row}, true)[0];
    return line.substr(33, line.find('m', 33) + 1 - 33);
  };
  EXPECT_EQ(coloured("RUNNING", 20), "\033[32m");
  EXPECT_EQ(coloured("STARTING", 10), "\033[33m");
  EXPECT_EQ(coloured("BACKOFF", 30), "\033[33m");
  EXPECT_EQ(coloured("STOPPING", 40), "\033[33m");
  EXPECT_EQ(coloured("FATAL", 200), "\033[31m");
  EXPECT_EQ(coloured("UNKNOWN", 1000), "\033[31m");
  EXPECT_EQ(coloured("EXITED", 100), "\033[31m");
  EXPECT_EQ(coloured("EXITED", 100, true), "\033[2m");
  EXPECT_EQ(coloured("STOPPED", 0), "\033[2m");
}

// A tend.getAllProcessHealth entry.
struct Health {
  std::string statename = "RUNNING";
  int state = 20;
  bool ready = true;
  std::string ready_check = "running";
  std::string healthcheck;
  std::string health = "none";
  std::string detail;
  std::string waiting_for;
  bool completed = false;
  rpc::Value value() const {
    return rpc::Value(rpc::Struct{{"name", rpc::Value("web")},
                                  {"group", rpc::Value("web")},
                                  {"state", rpc::Value(state)},
                                  {"statename", rpc::Value(statename)},
                                  {"autostart", rpc::Value(true)},
                                  {"ready", rpc::Value(ready)},
                                  {"ready_check", rpc::Value(ready_check)},
                                  {"healthcheck", rpc::Value(healthcheck)},
                                  {"health", rpc::Value(health)},
                                  {"health_detail", rpc::Value(detail)},
                                  {"status", rpc::Value("")},
                                  {"waiting_for", rpc::Value(waiting_for)},
                                  {"completed", rpc::Value(completed)},
                                  {"depends_on", rpc::Value(rpc::Array{})}});
  }
};

TEST(CtlStatusLines, HealthColumnSitsBetweenStateAndDescription) {
  StatusRow r{"web", "web", "RUNNING", "pid 1, uptime 0:00:01, healthy", 20, "healthy"};
  EXPECT_EQ(format_status_lines({r}, false, true)[0],
            "web" + std::string(30, ' ') + "RUNNING   healthy   pid 1, uptime 0:00:01, healthy");
  EXPECT_EQ(format_status_lines({r}, true, true)[0],
            "web" + std::string(30, ' ') + "\033[32mRUNNING\033[0m   \033[32mhealthy\033[0m   pid 1, uptime 0:00:01, healthy");
}

TEST(CtlHealth, TheColumnShowsOnlyWhereSomethingIsChecked) {
  EXPECT_FALSE(wants_health_column({Health{}.value()}));
  Health notify;
  notify.ready_check = "notify";
  EXPECT_TRUE(wants_health_column({Health{}.value(), notify.value()}));
  Health waiting;
  waiting.waiting_for = "db (ready)";
  EXPECT_TRUE(wants_health_column({waiting.value()}));
}

TEST(CtlHealth, ColumnWords) {
  EXPECT_EQ(health_column(Health{}.value()), "ready");
  Health h;
  h.healthcheck = "tcp";
  h.health = "unhealthy";
  EXPECT_EQ(health_column(h.value()), "unhealthy");
  h = Health{};
  h.statename = "STARTING";
  h.state = 10;
  h.ready = false;
  EXPECT_EQ(health_column(h.value()), "-");  // supervisord's startsecs: nothing to add
  h.ready_check = "notify";
  EXPECT_EQ(health_column(h.value()), "not ready");
  h = Health{};
  h.statename = "STOPPED";
  h.state = 0;
  h.waiting_for = "db (ready)";
  EXPECT_EQ(health_column(h.value()), "waiting");
  h = Health{};
  h.statename = "EXITED";
  h.state = 100;
  h.completed = true;
  EXPECT_EQ(health_column(h.value()), "completed");
}

TEST(CtlHealth, APassingProcessIsRunningReadyAndHealthyOrACompletedJob) {
  EXPECT_FALSE(health_problem(Health{}.value()));
  Health h;
  h.healthcheck = "http";
  h.health = "healthy";
  EXPECT_FALSE(health_problem(h.value()));
  h.health = "unhealthy";
  h.detail = "3 failures: connection refused";
  EXPECT_EQ(health_problem(h.value()), "RUNNING, unhealthy (3 failures: connection refused)");
  h.health = "unknown";
  EXPECT_EQ(health_problem(h.value()), "RUNNING, health unknown");
  h = Health{};
  h.statename = "STARTING";
  h.state = 10;
  h.ready = false;
  EXPECT_EQ(health_problem(h.value()), "STARTING, not ready");
  h = Health{};
  h.statename = "STOPPED";
  h.state = 0;
  h.waiting_for = "db (ready)";
  EXPECT_EQ(health_problem(h.value()), "STOPPED, waiting for db (ready)");
  h.waiting_for.clear();
  h.statename = "FATAL";
  h.state = 200;
  EXPECT_EQ(health_problem(h.value()), "FATAL");
  h.statename = "EXITED";
  h.state = 100;
  EXPECT_EQ(health_problem(h.value()), "EXITED");
  h.completed = true;
  EXPECT_FALSE(health_problem(h.value()));
}

TEST(CtlResultLines, Start) {
  EXPECT_EQ(*start_result_line(result("g", "p", fault::k_success)), "g:p: started");
  EXPECT_EQ(*start_result_line(result("p", "p", fault::k_spawn_error)), "p: ERROR (spawn error)");
  EXPECT_EQ(*start_result_line(result("p", "p", fault::k_already_started)),
            "p: ERROR (already started)");
  EXPECT_EQ(*start_result_line(result("p", "p", fault::k_no_file)), "p: ERROR (no such file)");
  EXPECT_EQ(*start_result_line(result("p", "p", fault::k_not_executable)),
            "p: ERROR (file is not executable)");
  EXPECT_EQ(*start_result_line(result("p", "p", fault::k_abnormal_termination)),
            "p: ERROR (abnormal termination)");
  EXPECT_EQ(*start_result_line(result("p", "p", fault::k_bad_name)), "p: ERROR (no such process)");
  EXPECT_FALSE(start_result_line(result("p", "p", fault::k_failed)).has_value());
}

TEST(CtlResultLines, StopSignalClear) {
  EXPECT_EQ(*signal_result_line(result("g", "p", fault::k_success), "stopped"), "g:p: stopped");
  EXPECT_EQ(*signal_result_line(result("g", "p", fault::k_success)), "g:p: signalled");
  EXPECT_EQ(*signal_result_line(result("p", "p", fault::k_not_running)), "p: ERROR (not running)");
  EXPECT_EQ(*signal_result_line(result("p", "p", fault::k_bad_signal)),
            "p: ERROR (bad signal name)");
  // FAILED prints the fault string as it is.
  EXPECT_EQ(*signal_result_line(result("p", "p", fault::k_failed, "FAILED: boom")), "FAILED: boom");
  EXPECT_EQ(*clear_result_line(result("p", "p", fault::k_success)), "p: cleared");
  EXPECT_EQ(*clear_result_line(result("p", "p", fault::k_failed)), "p: ERROR (failed)");
  EXPECT_FALSE(clear_result_line(result("p", "p", fault::k_no_file)).has_value());
}

TEST(CtlResultLines, FromFaultUsesNoneForMissingProcess) {
  rpc::Value r = result_from_fault(split_namespec("g:"), rpc::Fault{10, "BAD_NAME: g:"});
  EXPECT_EQ(*clear_result_line(r), "g:None: ERROR (no such process)");
}

TEST(CtlAvail, Layout) {
  rpc::Value ci(rpc::Struct{{"name", rpc::Value("p")},
                            {"group", rpc::Value("g")},
                            {"inuse", rpc::Value(true)},
                            {"autostart", rpc::Value(false)},
                            {"group_prio", rpc::Value(999)},
                            {"process_prio", rpc::Value(5)}});
  EXPECT_EQ(avail_line(ci), "g:p" + std::string(29, ' ') + " in use    manual    999:5");
}

TEST(CtlReread, SortedLabelsOrNothing) {
  EXPECT_EQ(reread_lines({}, {}, {}), std::vector<std::string>{"No config updates to processes"});
  EXPECT_EQ(reread_lines({"new"}, {"b"}, {"a"}),
            (std::vector<std::string>{"a: disappeared", "b: changed", "new: available"}));
}

}  // namespace
}  // namespace tend::ctl
