// Feeds: arbitrary text as a whole supervisord.conf to load_config(), the path
// tend and tendctl take on start, reread and SIGHUP: INI parsing, [include],
// %(...)s expansion (here, ENV_*, host_node_name, program_name, process_num,
// group_name, numprocs), every key's value type, and the cross-section checks
// (depends_on, main_program). The text goes to a file in a private temporary
// directory, since the loader reads a path (and its includes relative to it).
// The first byte picks the mode: odd loads as tendctl does (for_client), even
// as tend does; the rest is the file.
// Asserts, beyond no crash, leak or UB:
//  - loading is deterministic: a second load of the same file gives the same
//    error text, or groups that compare equal (the equality `update` uses);
//  - a loaded config is usable: every group and process has a name, and no
//    two groups share a name.
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <set>
#include <string>

#include <fmt/format.h>

#include "config/loader.h"
#include "fuzz_check.h"

namespace {

std::string g_dir;
std::string g_path;

// Leaves /tmp as it was found (make test runs this fuzzer every time).
void remove_temp_dir() {
  unlink(g_path.c_str());
  rmdir(g_dir.c_str());
}

tend::Result<tend::Config> load(bool for_client) {
  tend::LoadOptions opts;
  opts.path = g_path;
  opts.environ = {{"HOME", "/nonexistent-fuzz-home"}, {"USER", "fuzz"}, {"X", "1"}, {"PATH", "/usr/bin:/bin"}};
  opts.host_node_name = "fuzzhost";  // the loader would call uname() otherwise
  opts.for_client = for_client;
  return tend::load_config(opts);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // $TMPDIR when set: run.py points it into its scratch directory, since an
  // interrupted run (SIGINT) ends with _Exit and never reaches the atexit.
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = fmt::format("{}/tend-fuzz-config.XXXXXX", tmp != nullptr && *tmp != '\0' ? tmp : "/tmp");
  if (mkdtemp(dir.data()) == nullptr) {
    std::perror("unable to create a temporary directory");
    std::abort();
  }
  g_dir = dir;
  g_path = g_dir + "/supervisord.conf";
  std::atexit(remove_temp_dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  bool for_client = (data[0] & 1) != 0;
  FILE* f = std::fopen(g_path.c_str(), "wb");
  FUZZ_CHECK(f != nullptr);
  FUZZ_CHECK(std::fwrite(data + 1, 1, size - 1, f) == size - 1);
  FUZZ_CHECK(std::fclose(f) == 0);

  tend::Result<tend::Config> first = load(for_client);
  tend::Result<tend::Config> second = load(for_client);
  FUZZ_CHECK(first.ok() == second.ok());
  if (!first.ok()) {
    FUZZ_CHECK(first.error() == second.error());
    return 0;
  }
  FUZZ_CHECK(first->groups == second->groups);
  std::set<std::string> names;
  // Names follow supervisord's rule: never ' ', ':' or '/', and unique per kind; empty is allowed
  // (`[program:]` is a program named "" in supervisord 4.2.5 too; Loader.EmptyProgramAndGroupNames...).
  auto well_formed = [](const std::string& name) { return name.find_first_of(" :/") == std::string::npos; };
  for (const tend::GroupConfig& g : first->groups) {
    FUZZ_CHECK(well_formed(g.name));
    FUZZ_CHECK(names.insert(g.name).second);
    for (const tend::ProcessConfig& p : g.processes) {
      FUZZ_CHECK(well_formed(p.name));
    }
  }
  return 0;
}
