// Descendants: who is below a process, read from /proc. Used by the init mode's
// tree stop and by the supervisor's shutdown to find processes that left their
// parent's process group or session (setsid daemons, double-forked orphans).
//
// Contract: a snapshot, racy by nature. A process may fork or exit while /proc
// is read; callers re-scan when they learn the tree changed (a reap). Only
// thread-group leaders are listed (threads are not processes to signal).
// /proc must belong to the caller's PID namespace: a host /proc seen from a
// child namespace would make "descendants of 1" the whole host, so the scan
// refuses it (proc_matches_namespace) instead of returning wrong pids.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace tend {

// One /proc/<pid>/stat line, the fields the tree walk and the stop policy use.
struct ProcEntry {
  pid_t pid = 0;
  pid_t ppid = 0;
  pid_t pgrp = 0;
  pid_t sid = 0;
  char state = '?';  // R S D T t Z X ... as in proc(5)
};

// Parses the text of /proc/<pid>/stat. The comm field may contain spaces and
// parentheses, so fields are counted after the last ')'.
Result<ProcEntry> parse_proc_stat(std::string_view text);

// One process's entry, read from proc_root/<pid>/stat. Fails when the process
// is gone or proc_root does not match the caller's PID namespace.
Result<ProcEntry> read_proc_entry(pid_t pid, const std::string& proc_root = "/proc");

// True when /proc/self names the caller's pid, i.e. /proc was mounted for the
// caller's PID namespace.
bool proc_matches_namespace(const std::string& proc_root = "/proc");

// Every process currently listed under proc_root. Entries that vanish while
// being read are skipped. Fails if proc_root cannot be listed or does not
// match the caller's PID namespace.
Result<std::vector<ProcEntry>> read_process_table(const std::string& proc_root = "/proc");

// Pure: the descendants of root in table, parents before their children (BFS),
// root itself excluded. Cycles (impossible in a consistent snapshot, possible
// in a torn one) are cut.
std::vector<ProcEntry> descendants_of(const std::vector<ProcEntry>& table, pid_t root);

// The descendants of root right now (children, grandchildren, ...), root
// excluded, parents before their children, zombies included (state 'Z');
// empty with an error when /proc is unusable. Walks down from root through
// /proc/<pid>/task/<tid>/children, so it costs in proportion to root's tree;
// falls back to read_process_table when root's children file cannot be read
// (a kernel without CONFIG_PROC_CHILDREN).
Result<std::vector<ProcEntry>> list_descendant_entries(pid_t root, const std::string& proc_root = "/proc");
Result<std::vector<pid_t>> list_descendants(pid_t root, const std::string& proc_root = "/proc");

}  // namespace tend
