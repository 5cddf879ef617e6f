#include "core/config_diff.h"

#include <gtest/gtest.h>

namespace tend {
namespace {

ProcessConfig proc(const std::string& group, const std::string& name, const std::string& command = "sleep 1") {
  ProcessConfig p;
  p.name = name;
  p.group = group;
  p.program = name;
  p.command = command;
  return p;
}

GroupConfig group(const std::string& name, std::vector<ProcessConfig> procs, int priority = 999) {
  GroupConfig g;
  g.name = name;
  g.priority = priority;
  g.processes = std::move(procs);
  return g;
}

std::vector<std::string> names(const std::vector<DiffEntry>& entries) {
  std::vector<std::string> out;
  for (const DiffEntry& e : entries) {
    out.push_back(e.name());
  }
  return out;
}

ConfigDiff diff(const std::vector<GroupConfig>& running, const std::vector<GroupConfig>& next) {
  std::vector<const GroupConfig*> ptrs;
  for (const GroupConfig& g : running) {
    ptrs.push_back(&g);
  }
  return diff_groups(ptrs, next);
}

using V = std::vector<std::string>;

TEST(ConfigDiff, IdenticalConfigsDifferNowhere) {
  std::vector<GroupConfig> cfg = {group("a", {proc("a", "a")}), group("web", {proc("web", "x"), proc("web", "y")})};
  EXPECT_TRUE(diff(cfg, cfg).empty());
}

TEST(ConfigDiff, WholeGroupsAddedAndRemoved) {
  ConfigDiff d = diff({group("a", {proc("a", "a")}), group("b", {proc("b", "b")})},
                      {group("b", {proc("b", "b")}), group("c", {proc("c", "c")})});
  EXPECT_EQ(names(d.added), V{"c"});
  EXPECT_TRUE(d.changed.empty());
  EXPECT_EQ(names(d.removed), V{"a"});
}

TEST(ConfigDiff, OneChangedProgramOfAGroupIsItsOwnEntry) {
  ConfigDiff d = diff({group("web", {proc("web", "x"), proc("web", "y")})},
                      {group("web", {proc("web", "x", "sleep 2"), proc("web", "y")})});
  EXPECT_TRUE(d.added.empty());
  EXPECT_EQ(names(d.changed), V{"web:x"});
  EXPECT_TRUE(d.removed.empty());
}

TEST(ConfigDiff, ProgramsAddedToAndRemovedFromAKeptGroup) {
  ConfigDiff d = diff({group("web", {proc("web", "x"), proc("web", "y")})},
                      {group("web", {proc("web", "x"), proc("web", "z")})});
  EXPECT_EQ(names(d.added), V{"web:z"});
  EXPECT_TRUE(d.changed.empty());
  EXPECT_EQ(names(d.removed), V{"web:y"});
}

TEST(ConfigDiff, MoreNumprocsAddsOnlyTheNewProcesses) {
  ConfigDiff d = diff({group("w", {proc("w", "w_00"), proc("w", "w_01")})},
                      {group("w", {proc("w", "w_00"), proc("w", "w_01"), proc("w", "w_02")})});
  EXPECT_EQ(names(d.added), V{"w:w_02"});
  EXPECT_TRUE(d.changed.empty());
  EXPECT_TRUE(d.removed.empty());
}

TEST(ConfigDiff, NoSurvivorMeansTheWholeGroupChanged) {
  // A single-program group whose command changed: reported as the group,
  // exactly as supervisord reports it.
  ConfigDiff d = diff({group("a", {proc("a", "a")})}, {group("a", {proc("a", "a", "sleep 5")})});
  EXPECT_EQ(names(d.changed), V{"a"});
  EXPECT_TRUE(d.added.empty());
  EXPECT_TRUE(d.removed.empty());
  // Every process renamed: nothing survives either.
  d = diff({group("w", {proc("w", "p_00")})}, {group("w", {proc("w", "q_00")})});
  EXPECT_EQ(names(d.changed), V{"w"});
  EXPECT_TRUE(d.added.empty());
  EXPECT_TRUE(d.removed.empty());
}

TEST(ConfigDiff, GroupSettingsChangeTheWholeGroup) {
  ConfigDiff d = diff({group("web", {proc("web", "x"), proc("web", "y")}, 10)},
                      {group("web", {proc("web", "x"), proc("web", "y")}, 20)});
  EXPECT_EQ(names(d.changed), V{"web"});
  GroupConfig as_group = group("web", {proc("web", "x"), proc("web", "y")});
  as_group.kind = GroupConfig::Kind::Group;
  d = diff({group("web", {proc("web", "x"), proc("web", "y")})}, {as_group});
  EXPECT_EQ(names(d.changed), V{"web"});
}

TEST(ConfigDiff, SourcePositionIsNotAChange) {
  GroupConfig moved = group("a", {proc("a", "a")});
  moved.pos = {"/etc/other.conf", 42};
  moved.processes[0].pos = {"/etc/other.conf", 43};
  EXPECT_TRUE(diff({group("a", {proc("a", "a")})}, {moved}).empty());
}

TEST(ConfigDiff, EntryNames) {
  EXPECT_EQ((DiffEntry{"g", std::nullopt}).name(), "g");
  EXPECT_EQ((DiffEntry{"g", "p"}).name(), "g:p");
  EXPECT_EQ((DiffEntry{"x", "x"}).name(), "x:x");
}

}  // namespace
}  // namespace tend
