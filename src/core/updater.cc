#include "core/updater.h"

#include <fmt/format.h>

#include "config/keys.h"
#include "core/supervisor.h"
#include "log/logger.h"

namespace tend {

Updater::Updater(Supervisor& sup) : m_sup(sup), m_apply(sup.loop(), [this] { apply_pending(); }) {
  m_sub = sup.bus().subscribe(mask_of(EventKind::ProcessState), [this](const Event& e) {
    if (!m_pending.empty() && is_stopped_state(std::get<ProcessStateChanged>(e).to)) {
      m_apply.request();
    }
  });
}

void Updater::stop_entry(const DiffEntry& e) {
  const Group* g = m_sup.table().find_group(e.group);
  for (const auto& p : g->processes) {
    if (!e.process || p->name() == *e.process) {
      (void)p->stop();  // also cancels a BACKOFF or a waiting restart
    }
  }
}

void Updater::apply(const ConfigDiff& d) {
  m_pending.clear();
  for (const DiffEntry& e : d.removed) {
    main_logger().info("removing {}: no longer in the configuration", e.name());
    m_pending.push_back({e, false});
    stop_entry(e);
  }
  for (const DiffEntry& e : d.changed) {
    main_logger().info("restarting {}: its configuration changed", e.name());
    m_pending.push_back({e, true});
    stop_entry(e);
  }
  for (const DiffEntry& e : d.added) {
    main_logger().info("adding {}: new in the configuration", e.name());
    add_from_config(e);
  }
  apply_pending();
}

void Updater::add_from_config(const DiffEntry& e) {
  if (std::optional<GroupConfig> found = m_sup.configured_group(e.group)) {
    const GroupConfig& g = *found;
    Status st = ok_status();
    if (!e.process) {
      st = m_sup.add_group(g);
    } else {
      for (const ProcessConfig& pc : g.processes) {
        if (pc.name == *e.process) {
          st = m_sup.add_process(pc);
        }
      }
    }
    if (!st) {
      main_logger().error("unable to add {}: {}", e.name(), st.error());
    }
  }
}

void Updater::apply_pending() {
  if (m_sup.state() != SupervisorState::Running) {
    m_pending.clear();
    return;
  }
  std::vector<Pending> waiting;
  for (const Pending& u : std::vector<Pending>(std::move(m_pending))) {
    const Group* g = m_sup.table().find_group(u.entry.group);
    bool down = true;
    bool present = false;
    if (g != nullptr) {
      for (const auto& p : g->processes) {
        if (!u.entry.process || p->name() == *u.entry.process) {
          present = true;
          down = down && is_stopped_state(p->state());
        }
      }
    }
    if (!down) {
      waiting.push_back(u);
      continue;
    }
    if (present) {
      Status st = u.entry.process ? m_sup.remove_process(u.entry.group, *u.entry.process)
                                  : m_sup.remove_group(u.entry.group);
      if (!st) {
        main_logger().error("unable to remove {}: {}", u.entry.name(), st.error());
        continue;
      }
    }
    if (u.replace) {
      add_from_config(u.entry);
    } else {
      main_logger().info("removed {}", u.entry.name());
    }
  }
  m_pending = std::move(waiting);
}

std::vector<std::string> startup_only_changes(const Config& cur, const Config& next) {
  return settings_needing_restart(cur, next);
}

}  // namespace tend
