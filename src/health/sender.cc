#include "health/sender.h"

#include "sys/descendants.h"

namespace tend::health {

namespace {
// Deeper than any real process tree; only a torn /proc snapshot that loops gets here.
constexpr int k_max_depth = 4096;
}  // namespace

const char* sender_name(Sender s) {
  switch (s) {
    case Sender::Program:
      return "the program";
    case Sender::Descendant:
      return "a descendant of the program";
    case Sender::Stranger:
      return "not the program nor one of its descendants";
    case Sender::Gone:
      return "gone before its parent could be checked";
  }
  return "unknown";
}

Sender classify_sender(pid_t sender, pid_t main, const ParentOf& parent_of) {
  if (main <= 0 || sender <= 0) {
    return Sender::Stranger;
  }
  if (sender == main) {
    return Sender::Program;
  }
  pid_t at = sender;
  for (int depth = 0; depth < k_max_depth; ++depth) {
    std::optional<pid_t> parent = parent_of(at);
    if (!parent) {
      return depth == 0 ? Sender::Gone : Sender::Stranger;  // an ancestor gone: re-parented, so not below main
    }
    if (*parent == main) {
      return Sender::Descendant;
    }
    if (*parent <= 1) {
      return Sender::Stranger;
    }
    at = *parent;
  }
  return Sender::Stranger;
}

ParentOf proc_parent_of(std::string proc_root) {
  return [root = std::move(proc_root)](pid_t pid) -> std::optional<pid_t> {
    Result<ProcEntry> e = read_proc_entry(pid, root);
    if (!e) {
      return std::nullopt;
    }
    return e->ppid;
  };
}

}  // namespace tend::health
