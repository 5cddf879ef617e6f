// What a name in depends_on= stands for. One rule for the loader, which
// refuses a config whose names do not resolve (loader_deps.cc), and for the
// scheduler, which waits for the processes they stand for.
#pragma once

#include <string_view>
#include <vector>

#include "config/model.h"

namespace tend {

struct DependencyTarget {
  const GroupConfig* group;
  const ProcessConfig* process;
};

// The processes `name` stands for, in `groups` order:
//  - every process of the program-like section of that name ([program:name],
//    [fcgi-program:name], [eventlistener:name]; all numprocs of it), whether
//    the program is a group of its own or a member of a [group:x];
//  - else, when no program has the name, every process of [group:name].
// A program wins over a [group:x] of the same name. Empty: the name is
// unknown. In a config that loaded, the answer is never empty, holds no
// event listener, and comes from one section or one [group:x].
// The condition as written in depends_on= ("ready", "started", ...).
const char* condition_name(Dependency::Condition c);

std::vector<DependencyTarget> resolve_dependency(const std::vector<GroupConfig>& groups, std::string_view name);

}  // namespace tend
