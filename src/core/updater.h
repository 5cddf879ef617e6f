// Updater: applies a new configuration per program (SIGHUP, or the update
// path of supervisorctl): stops what was removed or changed, and replaces or
// drops each as soon as it is down; starts what was added; leaves the rest
// running. A subscriber of process state changes: a pending entry is applied
// when its last process reaches a stopped state (deferred: never inside the
// state change of a process it is about to destroy).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/model.h"
#include "core/config_diff.h"
#include "core/event_bus.h"
#include "sys/coalesced_call.h"

namespace tend {

class Supervisor;

class Updater {
 public:
  explicit Updater(Supervisor& sup);

  // Applies `d`, already made the current config by the caller. The diff is
  // against what runs now, so it replaces any earlier plan.
  void apply(const ConfigDiff& d);
  // Adds a group or process of the entry from the current config, if present.
  void add_from_config(const DiffEntry& e);
  // The supervisor stops everything: pending entries no longer apply.
  void cancel() { m_pending.clear(); }
  size_t pending() const { return m_pending.size(); }

 private:
  struct Pending {
    DiffEntry entry;
    bool replace = false;  // start the new version afterwards (changed) or only remove (removed)
  };
  void stop_entry(const DiffEntry& e);
  void apply_pending();

  Supervisor& m_sup;
  std::vector<Pending> m_pending;
  CoalescedCall m_apply;  // apply_pending, once a change was stopped
  EventBus::Subscription m_sub;
};

// The [supervisord] and server settings of `next` that differ from `cur` but
// only take effect when tend starts (logger, pidfile, control sockets,
// privileges, limits), by key name.
std::vector<std::string> startup_only_changes(const Config& cur, const Config& next);

}  // namespace tend
