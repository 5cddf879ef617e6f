// check_dependencies(): what depends_on= says across sections, checked once
// every program-like section is read. Each name must stand for processes
// (config/dependencies.h), none of them the program itself or an event
// listener; each condition must be one those processes can meet; and the
// programs must not wait for each other in a cycle. An error names the file
// and line of the depends_on= that makes it; sections are checked in the
// order they appear, so the first one in the file is blamed.
#include <algorithm>
#include <map>

#include "config/dependencies.h"
#include "config/loader_internal.h"

namespace tend::config_detail {

namespace {

// One program-like section and the programs it waits for.
struct Node {
  const LoadContext::ProgramSection* source = nullptr;
  const ProcessConfig* first = nullptr;  // depends_on is the same for every process of a section
  SourcePos depends_on_pos;
  std::vector<size_t> waits_for;  // nodes, in depends_on order
};

class DependencyCheck {
 public:
  explicit DependencyCheck(const LoadContext& ctx) : m_ctx(ctx) {}

  Status run() {
    build_nodes();
    for (size_t i = 0; i < m_nodes.size(); ++i) {
      if (Status st = resolve(i); !st) {
        return st;
      }
    }
    return find_cycle();
  }

 private:
  // The nodes in file order (sections() is the order they first appear).
  void build_nodes() {
    std::map<std::string, size_t> file_order;
    for (const IniSection& s : m_ctx.doc.sections()) {
      file_order.emplace(s.name, file_order.size());
    }
    std::vector<const LoadContext::ProgramSection*> sections;
    for (const LoadContext::ProgramSection& s : m_ctx.program_sections) {
      sections.push_back(&s);
    }
    std::stable_sort(sections.begin(), sections.end(), [&](const auto* a, const auto* b) {
      return file_order[a->section] < file_order[b->section];
    });
    for (const LoadContext::ProgramSection* s : sections) {
      Node n;
      n.source = s;
      n.first = first_process(*s);
      n.depends_on_pos = key_pos(m_ctx, s->section, "depends_on");
      m_index[{s->group, s->program}] = m_nodes.size();
      m_nodes.push_back(std::move(n));
    }
  }

  const ProcessConfig* first_process(const LoadContext::ProgramSection& s) const {
    for (const GroupConfig& g : m_ctx.cfg.groups) {
      for (const ProcessConfig& p : g.processes) {
        if (g.name == s.group && p.program == s.program) {
          return &p;
        }
      }
    }
    return nullptr;  // numprocs=0: no process, and so no dependencies
  }

  Error fail(const Node& n, const std::string& what) const {
    return error_at(n.depends_on_pos, fmt::format("[{}] {}", n.source->section, what));
  }

  Status resolve(size_t i) {
    Node& n = m_nodes[i];
    if (n.first == nullptr) {
      return ok_status();
    }
    for (const Dependency& d : n.first->depends_on) {
      std::vector<DependencyTarget> targets = resolve_dependency(m_ctx.cfg.groups, d.name);
      if (targets.empty()) {
        return fail(n, unknown_name(d.name));
      }
      bool via_group = targets.front().process->program != d.name;
      std::vector<size_t> nodes;
      for (const DependencyTarget& t : targets) {
        size_t target = m_index.at({t.group->name, t.process->program});
        if (std::find(nodes.begin(), nodes.end(), target) == nodes.end()) {
          nodes.push_back(target);
        }
      }
      std::sort(nodes.begin(), nodes.end());  // file order
      if (!via_group && nodes.size() > 1) {
        return fail(n, fmt::format("depends_on name '{}' is ambiguous: it is the program of [{}] and of [{}]", d.name,
                                   m_nodes[nodes[0]].source->section, m_nodes[nodes[1]].source->section));
      }
      if (std::find(nodes.begin(), nodes.end(), i) != nodes.end()) {
        return fail(n, via_group ? fmt::format("depends on itself: it is a member of [group:{}]", d.name)
                                 : std::string("depends on itself"));
      }
      for (const DependencyTarget& t : targets) {
        const Node& target = m_nodes[m_index.at({t.group->name, t.process->program})];
        if (Status st = check_target(n, d, *t.process, target, via_group); !st) {
          return st;
        }
      }
      n.waits_for.insert(n.waits_for.end(), nodes.begin(), nodes.end());
    }
    return ok_status();
  }

  std::string unknown_name(const std::string& name) const {
    for (const GroupConfig& g : m_ctx.cfg.groups) {
      if (g.kind == GroupConfig::Kind::Group && g.name == name) {
        return fmt::format("depends_on names [group:{}], which has no programs", name);
      }
    }
    std::string best;
    size_t best_distance = 3;
    for (const Node& other : m_nodes) {
      size_t d = edit_distance(name, other.source->program);
      if (d < best_distance && d < name.size()) {
        best_distance = d;
        best = other.source->program;
      }
    }
    return fmt::format("depends_on names '{}', which is no program or [group:x]{}", name,
                       best.empty() ? "" : fmt::format("; did you mean '{}'?", best));
  }

  // Whether `p`, of section `target`, can meet the condition of `d`.
  Status check_target(const Node& n, const Dependency& d, const ProcessConfig& p, const Node& target,
                      bool via_group) const {
    const std::string& tsec = target.source->section;
    std::string what = fmt::format("{}:{}", d.name, condition_name(d.condition));
    if (via_group) {
      what += fmt::format(" (through [group:{}])", d.name);
    }
    if (target.source->kind == GroupConfig::Kind::EventListener) {
      return fail(n, fmt::format("depends_on names [{}]: an event listener cannot be a dependency (listeners start "
                                 "before the programs and stop after them)",
                                 tsec));
    }
    if (d.condition == Dependency::Condition::Completed && p.autorestart == AutoRestart::Always) {
      return fail(n, fmt::format("depends_on {} can never be met: [{}] has autorestart=true, so it is started "
                                 "again whenever it exits",
                                 what, tsec));
    }
    if (d.condition == Dependency::Condition::Healthy && p.healthcheck.kind == ProbeSpec::Kind::None &&
        !p.oneshot) {  // a one-shot is healthy (and ready) once completed
      return fail(n, fmt::format("depends_on {} can never be met: [{}] has no healthcheck", what, tsec));
    }
    return ok_status();
  }

  // Depth first, from each node in file order; the first cycle found is
  // reported from its node that comes first in the file.
  Status find_cycle() const {
    enum class Mark { New, OnPath, Done };
    std::vector<Mark> mark(m_nodes.size(), Mark::New);
    struct Frame {
      size_t node;
      size_t next_edge;
    };
    for (size_t root = 0; root < m_nodes.size(); ++root) {
      if (mark[root] != Mark::New) {
        continue;
      }
      std::vector<Frame> path{{root, 0}};
      mark[root] = Mark::OnPath;
      while (!path.empty()) {
        Frame& top = path.back();
        const std::vector<size_t>& edges = m_nodes[top.node].waits_for;
        if (top.next_edge == edges.size()) {
          mark[top.node] = Mark::Done;
          path.pop_back();
          continue;
        }
        size_t next = edges[top.next_edge++];
        if (mark[next] == Mark::OnPath) {
          return cycle_error(path, next);
        }
        if (mark[next] == Mark::New) {
          mark[next] = Mark::OnPath;
          path.push_back({next, 0});
        }
      }
    }
    return ok_status();
  }

  template <typename Frames>
  Error cycle_error(const Frames& path, size_t closing) const {
    std::vector<size_t> cycle;
    bool in_cycle = false;
    for (const auto& f : path) {
      in_cycle = in_cycle || f.node == closing;
      if (in_cycle) {
        cycle.push_back(f.node);
      }
    }
    std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
    std::vector<std::string> names;
    for (size_t node : cycle) {
      names.push_back(m_nodes[node].source->program);
    }
    names.push_back(names.front());
    return fail(m_nodes[cycle.front()], fmt::format("depends_on makes a cycle: {}", fmt::join(names, " -> ")));
  }

  const LoadContext& m_ctx;
  std::vector<Node> m_nodes;
  std::map<std::pair<std::string, std::string>, size_t> m_index;  // (group, program) -> node
};

}  // namespace

Status check_dependencies(LoadContext& ctx) { return DependencyCheck(ctx).run(); }

}  // namespace tend::config_detail
