// The start and stop rules of depends_on (dependencies.h), one test per rule,
// on graphs written out by hand and states set by hand.
#include "core/dependencies.h"

#include <gtest/gtest.h>

#include <set>
#include <utility>

#include "config/dependencies.h"

namespace tend {
namespace {

using C = Dependency::Condition;
using PS = ProcessState;

Dependency dep(const std::string& name, C c = C::Ready) { return Dependency{name, c}; }

DependencyNode node(const std::string& name, std::vector<Dependency> deps = {}, int priority = 999) {
  return DependencyNode{name, name, name, priority, std::move(deps)};
}

NodeState running(bool ready = true) {
  NodeState s;
  s.state = PS::Running;
  s.ready = ready;
  return s;
}

NodeState in(PS state) {
  NodeState s;
  s.state = state;
  return s;
}

NodeState held() {
  NodeState s;
  s.held = true;
  return s;
}

// --- conditions -------------------------------------------------------------------

TEST(DependencyConditions, StartedMeansSpawnedThisRunAndNotGivenUp) {
  for (PS st : {PS::Starting, PS::Running, PS::Backoff, PS::Stopping, PS::Exited}) {
    EXPECT_TRUE(condition_met(C::Started, in(st))) << state_name(st);
  }
  for (PS st : {PS::Stopped, PS::Fatal, PS::Unknown}) {
    EXPECT_FALSE(condition_met(C::Started, in(st))) << state_name(st);
  }
}

TEST(DependencyConditions, ReadyMeansRunningAndReady) {
  EXPECT_TRUE(condition_met(C::Ready, running(true)));
  EXPECT_FALSE(condition_met(C::Ready, running(false)));  // RUNNING, readiness check not passed
  NodeState starting = in(PS::Starting);
  starting.ready = true;
  EXPECT_FALSE(condition_met(C::Ready, starting));
  EXPECT_FALSE(condition_met(C::Ready, in(PS::Exited)));
}

TEST(DependencyConditions, HealthyMeansReadyAndItsCheckPassed) {
  NodeState s = running();
  EXPECT_TRUE(condition_met(C::Healthy, s));  // no health check: the same as ready
  s.has_healthcheck = true;
  EXPECT_FALSE(condition_met(C::Healthy, s));
  s.healthy = true;
  EXPECT_TRUE(condition_met(C::Healthy, s));
  s.ready = false;
  EXPECT_FALSE(condition_met(C::Healthy, s));
}

TEST(DependencyConditions, CompletedMeansExitedWithAnExpectedCode) {
  NodeState s = in(PS::Exited);
  EXPECT_FALSE(condition_met(C::Completed, s));
  s.completed = true;
  EXPECT_TRUE(condition_met(C::Completed, s));
  EXPECT_FALSE(condition_met(C::Completed, running()));
}

TEST(DependencyConditions, FatalMeetsNoCondition) {
  NodeState s = in(PS::Fatal);
  s.ready = true;
  s.completed = true;
  for (C c : {C::Started, C::Ready, C::Healthy, C::Completed}) {
    EXPECT_FALSE(condition_met(c, s)) << condition_name(c);
  }
}

// --- the graph ---------------------------------------------------------------------

TEST(DependencyGraph, AProgramNameStandsForEachOfItsProcesses) {
  // numprocs=2: db_0 and db_1 of program db, in group db.
  DependencyGraph g({DependencyNode{"db", "db_0", "db", 999, {}}, DependencyNode{"db", "db_1", "db", 999, {}},
                     node("web", {dep("db")})});
  ASSERT_EQ(g.requirements(2).size(), 1u);
  EXPECT_EQ(g.requirements(2)[0].targets, (std::vector<size_t>{0, 1}));
  EXPECT_EQ(unmet(g, {running(), running(false), held()}, 2).size(), 1u);  // one of two not ready
  EXPECT_TRUE(unmet(g, {running(), running(), held()}, 2).empty());
  EXPECT_EQ(g.dependents(0), (std::vector<size_t>{2}));
}

TEST(DependencyGraph, AGroupNameStandsForEachProcessOfTheGroup) {
  DependencyGraph g({DependencyNode{"backend", "db", "db", 5, {}}, DependencyNode{"backend", "cache", "cache", 5, {}},
                     node("web", {dep("backend", C::Started)})});
  EXPECT_EQ(g.requirements(2)[0].targets, (std::vector<size_t>{0, 1}));
  EXPECT_EQ(waiting_text(g, {in(PS::Starting), in(PS::Stopped), held()}, 2), "backend (started)");
}

TEST(DependencyGraph, AProgramWinsOverAGroupOfTheSameName) {
  // [group:api] holds programs api and docs: "api" is the program alone.
  DependencyGraph g({DependencyNode{"api", "api", "api", 5, {}}, DependencyNode{"api", "docs", "docs", 5, {}},
                     node("web", {dep("api")})});
  EXPECT_EQ(g.requirements(2)[0].targets, (std::vector<size_t>{0}));
  EXPECT_TRUE(g.dependents(1).empty());
}

// The graph resolves names from what runs; the loader from the file. Both
// must mean the same processes.
TEST(DependencyGraph, ResolvesNamesAsTheLoaderDoes) {
  auto process = [](const std::string& group, const std::string& program, const std::string& name) {
    ProcessConfig p;
    p.group = group;
    p.program = program;
    p.name = name;
    return p;
  };
  std::vector<GroupConfig> groups(4);
  groups[0].name = "api";  // [group:api] programs=api,docs
  groups[0].kind = GroupConfig::Kind::Group;
  groups[0].processes = {process("api", "api", "api"), process("api", "docs", "docs")};
  groups[1].name = "backend";  // [group:backend] programs=db (numprocs=2),cache
  groups[1].kind = GroupConfig::Kind::Group;
  groups[1].processes = {process("backend", "db", "db_0"), process("backend", "db", "db_1"),
                         process("backend", "cache", "cache")};
  groups[2].name = "web";
  groups[2].processes = {process("web", "web", "web")};
  groups[3].name = "worker";  // numprocs=2 in a group of its own
  groups[3].processes = {process("worker", "worker", "worker_0"), process("worker", "worker", "worker_1")};
  std::vector<DependencyNode> nodes;
  std::vector<std::string> names{"api", "docs", "backend", "db", "cache", "worker", "worker_0", "nope"};
  for (const GroupConfig& g : groups) {
    for (const ProcessConfig& p : g.processes) {
      nodes.push_back(DependencyNode{g.name, p.name, p.program, 999, {}});
    }
  }
  DependencyNode asker{"x", "x", "x", 999, {}};
  for (const std::string& n : names) {
    asker.depends_on.push_back(dep(n));
  }
  nodes.push_back(asker);
  DependencyGraph g(nodes);
  ASSERT_EQ(g.requirements(nodes.size() - 1).size(), names.size());
  for (size_t k = 0; k < names.size(); ++k) {
    std::set<std::pair<std::string, std::string>> loader;
    for (const DependencyTarget& t : resolve_dependency(groups, names[k])) {
      loader.emplace(t.group->name, t.process->name);
    }
    std::set<std::pair<std::string, std::string>> graph;
    for (size_t t : g.requirements(nodes.size() - 1)[k].targets) {
      graph.emplace(nodes[t].group, nodes[t].name);
    }
    EXPECT_EQ(graph, loader) << names[k];
  }
}

TEST(DependencyGraph, ANameForNoProcessIsNeverMet) {
  DependencyGraph g({node("web", {dep("gone")})});
  EXPECT_EQ(waiting_text(g, {held()}, 0), "gone (ready)");
  EXPECT_EQ(missing_text(g, 0), "gone");
  EXPECT_TRUE(releasable(g, {held()}).empty());
}

TEST(DependencyGraph, ASelfEdgeIsDropped) {
  // web in group "stack" depends on its own group: only the others count.
  DependencyGraph g({DependencyNode{"stack", "db", "db", 999, {}},
                     DependencyNode{"stack", "web", "web", 999, {dep("stack")}},
                     DependencyNode{"solo", "solo", "solo", 999, {dep("solo")}}});
  EXPECT_EQ(g.requirements(1)[0].targets, (std::vector<size_t>{0}));
  EXPECT_TRUE(g.requirements(2).empty());
  EXPECT_TRUE(g.dependents(2).empty());
}

// --- start rules ---------------------------------------------------------------------

TEST(DependencyStart, S1WaitsForEveryUnmetRequirementInConfiguredOrder) {
  DependencyGraph g({node("db"), node("cache"), node("web", {dep("db"), dep("cache", C::Started)})});
  EXPECT_EQ(waiting_text(g, {in(PS::Starting), in(PS::Stopped), held()}, 2), "db (ready), cache (started)");
  EXPECT_EQ(waiting_text(g, {running(), in(PS::Stopped), held()}, 2), "cache (started)");
  EXPECT_EQ(waiting_text(g, {running(), in(PS::Starting), held()}, 2), "");
}

TEST(DependencyStart, S2ReleasesEveryHeldProcessWhoseDependenciesAreMetInTableOrder) {
  // a, b wait for db; c waits for cache; d is held but has nothing to wait for.
  DependencyGraph g({node("db"), node("cache"), node("a", {dep("db")}), node("b", {dep("db")}),
                     node("c", {dep("cache")}), node("d")});
  NodeStates s{running(), in(PS::Starting), held(), held(), held(), held()};
  EXPECT_EQ(releasable(g, s), (std::vector<size_t>{2, 3, 5}));
  s[2].held = false;  // not held: never released, even when met
  EXPECT_EQ(releasable(g, s), (std::vector<size_t>{3, 5}));
}

TEST(DependencyStart, S3StartsStoppedDependenciesFirstRecursively) {
  // web -> api -> db; api is stopped, db stopped, cache running.
  DependencyGraph g({node("db"), node("cache"), node("api", {dep("db"), dep("cache")}), node("web", {dep("api")})});
  NodeStates s{in(PS::Stopped), running(), in(PS::Stopped), in(PS::Stopped)};
  EXPECT_EQ(start_plan(g, s, 3), (std::vector<size_t>{0, 2, 3}));
  // A dependency on its way (STARTING) is not started again, nor are its own.
  s[2] = in(PS::Starting);
  EXPECT_EQ(start_plan(g, s, 3), (std::vector<size_t>{3}));
  // A held dependency is visited, so that what it waits for starts.
  s[2] = held();
  EXPECT_EQ(start_plan(g, s, 3), (std::vector<size_t>{0, 2, 3}));
}

TEST(DependencyStart, S3RestartsFatalAndExitedDependenciesButNotACompletedOne) {
  DependencyGraph g({node("db"), node("migrate"), node("web", {dep("db"), dep("migrate", C::Completed)})});
  NodeState done = in(PS::Exited);
  done.completed = true;
  EXPECT_EQ(start_plan(g, {in(PS::Fatal), done, in(PS::Stopped)}, 2), (std::vector<size_t>{0, 2}));
  EXPECT_EQ(start_plan(g, {in(PS::Exited), in(PS::Exited), in(PS::Stopped)}, 2), (std::vector<size_t>{0, 1, 2}));
}

TEST(DependencyStart, S3OnADiamondStartsTheSharedDependencyOnce) {
  DependencyGraph g({node("db"), node("a", {dep("db")}), node("b", {dep("db")}), node("web", {dep("a"), dep("b")})});
  NodeStates s(4, in(PS::Stopped));
  EXPECT_EQ(start_plan(g, s, 3), (std::vector<size_t>{0, 1, 2, 3}));
}

TEST(DependencyStart, S3EndsOnACycle) {
  DependencyGraph g({node("a", {dep("b")}), node("b", {dep("a")})});
  EXPECT_EQ(start_plan(g, NodeStates(2, in(PS::Stopped)), 0), (std::vector<size_t>{1, 0}));
  EXPECT_TRUE(releasable(g, {held(), held()}).empty());
}

TEST(DependencyStart, S5ARequestForSeveralStartsDependenciesFirstOtherwiseInTableOrder) {
  // web (first in the table) -> api -> db; x is independent; cache is not in the request.
  DependencyGraph g({node("web", {dep("api")}), node("x"), node("api", {dep("db"), dep("cache")}), node("db"),
                     node("cache")});
  EXPECT_EQ(start_order(g, {0, 1, 2, 3}), (std::vector<size_t>{1, 3, 2, 0}));
  EXPECT_EQ(start_order(g, {0, 1}), (std::vector<size_t>{0, 1}));
}

TEST(DependencyStart, S5ACycleKeepsTableOrder) {
  DependencyGraph g({node("a", {dep("b")}), node("b", {dep("a")}), node("c", {dep("a")})});
  EXPECT_EQ(start_order(g, {0, 1, 2}), (std::vector<size_t>{0, 1, 2}));
}

TEST(DependencyStart, S4NamesTheHeldProcessesThatWaitForAFatalOne) {
  DependencyGraph g({node("db"), node("web", {dep("db")}), node("api", {dep("db", C::Started)}),
                     node("worker", {dep("db")})});
  NodeStates s{in(PS::Fatal), held(), held(), in(PS::Stopped)};  // worker is not held
  EXPECT_EQ(stuck_on(g, s, 0), (std::vector<size_t>{1, 2}));
}

// --- stop rules ----------------------------------------------------------------------

TEST(DependencyStop, T1WithoutDependenciesIsDescendingPriority) {
  DependencyGraph g({node("a", {}, 1), node("b", {}, 5), node("c", {}, 5), node("d", {}, 999)});
  NodeStates s(4, running());
  std::optional<StopStageNodes> st = shutdown_stage(g, s);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->priority, 999);
  EXPECT_EQ(st->members, (std::vector<size_t>{3}));
  s[3] = in(PS::Stopping);  // asked, not yet down: still the stage
  EXPECT_EQ(shutdown_stage(g, s)->members, (std::vector<size_t>{3}));
  s[3] = in(PS::Stopped);
  EXPECT_EQ(shutdown_stage(g, s)->members, (std::vector<size_t>{1, 2}));
  s[1] = s[2] = in(PS::Exited);
  EXPECT_EQ(shutdown_stage(g, s)->members, (std::vector<size_t>{0}));
  s[0] = in(PS::Fatal);
  EXPECT_FALSE(shutdown_stage(g, s));
}

TEST(DependencyStop, T1DependentsStopFirstWhateverThePriorities) {
  // db (999) would stop first by priority; web (1) depends on it.
  DependencyGraph g({node("web", {dep("db")}, 1), node("x", {}, 500), node("db", {}, 999)});
  NodeStates s(3, running());
  EXPECT_EQ(shutdown_stage(g, s)->members, (std::vector<size_t>{1}));  // x: the highest candidate
  s[1] = in(PS::Stopped);
  EXPECT_EQ(shutdown_stage(g, s)->members, (std::vector<size_t>{0}));
  s[0] = in(PS::Stopping);
  EXPECT_EQ(shutdown_stage(g, s)->members, (std::vector<size_t>{0}));  // db waits until web has exited
  s[0] = in(PS::Exited);
  EXPECT_EQ(shutdown_stage(g, s)->members, (std::vector<size_t>{2}));
}

TEST(DependencyStop, T1IndependentProgramsOfOnePriorityStopInParallel) {
  // chain a <- b <- c, and d beside it, all of one priority.
  DependencyGraph g({node("a"), node("b", {dep("a")}), node("c", {dep("b")}), node("d")});
  NodeStates s(4, running());
  EXPECT_EQ(shutdown_stage(g, s)->members, (std::vector<size_t>{2, 3}));
  s[2] = in(PS::Stopped);  // d still stopping: b goes at once all the same
  s[3] = in(PS::Stopping);
  EXPECT_EQ(shutdown_stage(g, s)->members, (std::vector<size_t>{1, 3}));
}

TEST(DependencyStop, T1AStoppedDependentDoesNotHoldUpItsDependency) {
  DependencyGraph g({node("db"), node("web", {dep("db")})});
  EXPECT_EQ(shutdown_stage(g, {running(), held()})->members, (std::vector<size_t>{0}));
}

TEST(DependencyStop, T2ACycleStopsEveryLiveProcessOfTheHighestPriority) {
  DependencyGraph g({node("a", {dep("b")}, 5), node("b", {dep("a")}, 7), node("c", {dep("a")}, 1)});
  NodeStates s(3, running());
  EXPECT_EQ(shutdown_stage(g, s)->members, (std::vector<size_t>{2}));  // c first: nothing depends on it
  s[2] = in(PS::Stopped);
  std::optional<StopStageNodes> st = shutdown_stage(g, s);
  EXPECT_EQ(st->priority, 7);
  EXPECT_EQ(st->members, (std::vector<size_t>{1}));
}

TEST(DependencyStop, WorstCaseWithoutDependenciesIsTheSumOverPriorities) {
  DependencyGraph g({node("a", {}, 1), node("b", {}, 5), node("c", {}, 5), node("d", {}, 999)});
  StopEstimate e = worst_case_shutdown(g, {2, 3, 7, 1});
  EXPECT_DOUBLE_EQ(e.seconds, 1 + 7 + 2);
  EXPECT_EQ(e.stages, 3u);
}

TEST(DependencyStop, WorstCaseOfAChainAddsUpAlongTheChain) {
  // a <- b <- c, all of one priority, and d beside them: d stops with c.
  DependencyGraph g({node("a"), node("b", {dep("a")}), node("c", {dep("b")}), node("d")});
  StopEstimate e = worst_case_shutdown(g, {4, 3, 2, 8});
  EXPECT_DOUBLE_EQ(e.seconds, 2 + 3 + 4 + 0);  // d's 8 s overlap the chain's 9
  EXPECT_EQ(e.stages, 3u);
  EXPECT_DOUBLE_EQ(worst_case_shutdown(g, {4, 3, 2, 10}).seconds, 10);
}

TEST(DependencyStop, T3AMemberStopsOnceNoLiveMemberOfTheSetDependsOnIt) {
  DependencyGraph g({node("db"), node("web", {dep("db")}), node("admin", {dep("db")})});
  NodeStates s(3, running());
  // stop all: web and admin now, db once both have exited.
  EXPECT_EQ(stop_ready(g, s, {0, 1, 2}, {0, 1, 2}), (std::vector<size_t>{1, 2}));
  s[1] = in(PS::Stopped);
  EXPECT_TRUE(stop_ready(g, s, {0, 1, 2}, {0}).empty());
  s[2] = in(PS::Exited);
  EXPECT_EQ(stop_ready(g, s, {0, 1, 2}, {0}), (std::vector<size_t>{0}));
}

TEST(DependencyStop, T3DependentsOutsideTheSetAreNotWaitedFor) {
  DependencyGraph g({node("db"), node("web", {dep("db")})});
  EXPECT_EQ(stop_ready(g, NodeStates(2, running()), {0}, {0}), (std::vector<size_t>{0}));
}

TEST(DependencyStop, T3ACycleStopsEveryPendingMember) {
  DependencyGraph g({node("a", {dep("b")}), node("b", {dep("a")}), node("c", {dep("a")})});
  NodeStates s(3, running());
  EXPECT_EQ(stop_ready(g, s, {0, 1, 2}, {0, 1, 2}), (std::vector<size_t>{2}));
  s[2] = in(PS::Stopping);  // c still going down: a and b wait for it
  EXPECT_TRUE(stop_ready(g, s, {0, 1, 2}, {0, 1}).empty());
  s[2] = in(PS::Stopped);
  EXPECT_EQ(stop_ready(g, s, {0, 1, 2}, {0, 1}), (std::vector<size_t>{0, 1}));
}

}  // namespace
}  // namespace tend
