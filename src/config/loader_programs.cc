// The program-like sections: [group:x], [program:x], [eventlistener:x] and
// [fcgi-program:x], turned into GroupConfig/ProcessConfig as their key tables
// (keys_program.cc) say. Keys are read in table order, supervisord's, so the
// first error reported is the one supervisord would report.
#include <algorithm>
#include <set>

#include "config/datatypes.h"
#include "config/keys.h"
#include "config/loader_internal.h"

namespace tend::config_detail {

namespace {

std::string after_colon(const std::string& section) { return section.substr(section.find(':') + 1); }

Result<std::string> section_name(const LoadContext& ctx, const std::string& section) {
  Result<std::string> n = parse_name(after_colon(section));
  if (!n) {
    return error_at(section_pos(ctx, section), fmt::format("invalid section name [{}]: {}", section, n.error()));
  }
  return n;
}

// Reads the keys of `stage` into the scope, in table order.
Status read_keys(ProgramScope& s, std::span<const ProgramKey> keys, Stage stage) {
  const Expansions group_names = with_names(s.ctx.environ_expansions, {{"here", s.ctx.cfg.here}});
  for (const ProgramKey& k : keys) {
    if (k.stage != stage || k.load == nullptr) {
      continue;
    }
    const Expansions& names = stage == Stage::Group ? group_names : s.names;
    Value v;
    TRY_ASSIGN(v, get_value(s.ctx, s.section, std::string(k.name), k.default_text, names, k.expand != Expand::Raw));
    if (k.expand == Expand::Twice && v.present) {
      Result<std::string> again = expand(v.text, names, k.name);
      if (!again) {
        return error_at(v.pos, again.error());
      }
      v.text = std::move(*again);
    }
    if (Status st = k.load(s, v); !st) {
      return st;
    }
  }
  return ok_status();
}

// The processes of a program-like section: the Stage::Section keys once into
// *s.process (which the Stage::Group keys may have started), then a copy of it
// per process with the Stage::Process keys.
Result<std::vector<ProcessConfig>> processes_from_section(ProgramScope& s, const std::string& group_name,
                                                          std::span<const ProgramKey> keys) {
  LoadContext& ctx = s.ctx;
  std::string program_name;
  TRY_ASSIGN(program_name, section_name(ctx, s.section));
  // One mutable set of names, as in supervisord: per-process names added in
  // the loop stay visible to the keys read after them.
  s.names = with_names(ctx.environ_expansions, {{"here", ctx.cfg.here},
                                                {"program_name", program_name},
                                                {"host_node_name", ctx.host_node_name},
                                                {"group_name", group_name}});
  ProcessConfig& base = *s.process;
  base.group = group_name;
  base.program = program_name;
  base.pos = section_pos(ctx, s.section);
  if (Status st = read_keys(s, keys, Stage::Section); !st) {
    return Error{st.error()};
  }
  if (base.stopasgroup && !base.killasgroup) {
    return error_at(s.killasgroup_pos, "Cannot set stopasgroup=true and killasgroup=false");
  }
  ctx.program_sections.push_back({s.section, group_name, program_name, s.kind});
  std::vector<ProcessConfig> out;
  for (int num = s.numprocs_start; num < s.numprocs_start + s.numprocs; ++num) {
    ProcessConfig p = base;
    p.process_num = num;
    s.names["process_num"] = int64_t{num};
    s.names["numprocs"] = int64_t{s.numprocs};
    for (const auto& [k, val] : ctx.environ_expansions) {  // forget the previous process's environment
      s.names[k] = val;
    }
    s.process = &p;
    Status st = read_keys(s, keys, Stage::Process);
    s.process = &base;
    if (!st) {
      return Error{st.error()};
    }
    out.push_back(std::move(p));
  }
  return out;
}

bool has(const LoadContext& ctx, const std::string& s) { return ctx.doc.has_section(s); }

Result<GroupConfig> load_group_section(LoadContext& ctx, const std::string& section, std::set<std::string>& excluded) {
  GroupConfig g;
  g.kind = GroupConfig::Kind::Group;
  g.pos = section_pos(ctx, section);
  TRY_ASSIGN(g.name, section_name(ctx, section));
  ProgramScope s{.ctx = ctx, .section = section, .kind = g.kind, .group = &g};
  if (Status st = read_keys(s, group_section_keys(), Stage::Group); !st) {
    return Error{st.error()};
  }
  for (const std::string& prog : parse_list_of_strings(s.programs.text)) {
    std::string psec = "program:" + prog;
    std::string fsec = "fcgi-program:" + prog;
    if (!has(ctx, psec) && !has(ctx, fsec)) {
      return error_at(s.programs.pos, fmt::format("[{}] names unknown program or fcgi-program {}", section, prog));
    }
    if (has(ctx, psec) && has(ctx, fsec)) {
      return error_at(s.programs.pos,
                      fmt::format("[{}] name {} is ambiguous (exists as program and fcgi-program)", section, prog));
    }
    std::string member = has(ctx, psec) ? psec : fsec;
    excluded.insert(member);
    // A member is read as a plain program: its own group settings do not apply.
    ProcessConfig base;
    ProgramScope ms{.ctx = ctx, .section = member, .kind = GroupConfig::Kind::Program, .process = &base};
    std::vector<ProcessConfig> procs;
    TRY_ASSIGN(procs, processes_from_section(ms, g.name, program_section_keys()));
    g.processes.insert(g.processes.end(), procs.begin(), procs.end());
  }
  return g;
}

// [program:x], [eventlistener:x] or [fcgi-program:x]: a group of its own.
Result<GroupConfig> load_program_like(LoadContext& ctx, const std::string& section, GroupConfig::Kind kind,
                                      std::span<const ProgramKey> keys) {
  GroupConfig g;
  g.kind = kind;
  g.pos = section_pos(ctx, section);
  if (kind == GroupConfig::Kind::EventListener) {
    g.name = after_colon(section);  // checked as the program name below, after the listener's own keys
  } else {
    TRY_ASSIGN(g.name, section_name(ctx, section));
  }
  ProcessConfig base;
  ProgramScope s{.ctx = ctx, .section = section, .kind = kind, .group = &g, .process = &base};
  if (Status st = read_keys(s, keys, Stage::Group); !st) {
    return Error{st.error()};
  }
  TRY_ASSIGN(g.processes, processes_from_section(s, g.name, keys));
  return g;
}

bool by_priority_then_name(int pa, const std::string& na, int pb, const std::string& nb) {
  return pa != pb ? pa < pb : na < nb;
}

Status check_unique_names(const LoadContext& ctx) {
  std::map<std::string, const GroupConfig*> groups;
  for (const GroupConfig& g : ctx.cfg.groups) {
    auto [it, inserted] = groups.emplace(g.name, &g);
    if (!inserted) {
      return error_at(g.pos, fmt::format("group name '{}' is already used by the section at {}:{}", g.name,
                                         it->second->pos.file, it->second->pos.line));
    }
    std::map<std::string, const ProcessConfig*> procs;
    for (const ProcessConfig& p : g.processes) {
      auto [pit, pinserted] = procs.emplace(p.name, &p);
      if (!pinserted) {
        return error_at(p.pos, fmt::format("group '{}' would have two processes named '{}' (also from {}:{})",
                                           g.name, p.name, pit->second->pos.file, pit->second->pos.line));
      }
    }
  }
  return ok_status();
}

}  // namespace

Status load_process_groups(LoadContext& ctx) {
  std::set<std::string> excluded;  // programs that belong to a [group:x]
  std::vector<GroupConfig>& groups = ctx.cfg.groups;
  std::vector<std::string> names;
  for (const IniSection& s : ctx.doc.sections()) {
    names.push_back(s.name);
  }
  for (const std::string& s : names) {
    if (s.rfind("group:", 0) == 0) {
      GroupConfig g;
      TRY_ASSIGN(g, load_group_section(ctx, s, excluded));
      groups.push_back(std::move(g));
    }
  }
  // Each kind in turn, in file order within a kind (supervisord's order).
  struct Kind {
    const char* prefix;
    GroupConfig::Kind kind;
    std::span<const ProgramKey> keys;
  };
  for (const Kind& k : {Kind{"program:", GroupConfig::Kind::Program, program_section_keys()},
                        Kind{"eventlistener:", GroupConfig::Kind::EventListener, eventlistener_section_keys()},
                        Kind{"fcgi-program:", GroupConfig::Kind::FcgiProgram, fcgi_program_section_keys()}}) {
    for (const std::string& s : names) {
      if (s.rfind(k.prefix, 0) == 0 && excluded.count(s) == 0) {
        GroupConfig g;
        TRY_ASSIGN(g, load_program_like(ctx, s, k.kind, k.keys));
        groups.push_back(std::move(g));
      }
    }
  }
  if (Status s = check_unique_names(ctx); !s) {  // before sorting: blame the later section
    return s;
  }
  for (GroupConfig& g : groups) {
    std::stable_sort(g.processes.begin(), g.processes.end(), [](const ProcessConfig& a, const ProcessConfig& b) {
      return by_priority_then_name(a.priority, a.name, b.priority, b.name);
    });
  }
  std::stable_sort(groups.begin(), groups.end(), [](const GroupConfig& a, const GroupConfig& b) {
    return by_priority_then_name(a.priority, a.name, b.priority, b.name);
  });
  return ok_status();
}

}  // namespace tend::config_detail
