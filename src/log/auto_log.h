// AUTO child logs: files that tend names itself in childlogdir and deletes at
// the next start (unless nocleanup), as supervisord does.
//
// Names are "<procname>-<channel>---<identifier>-<8 random chars>.log", the
// random part drawn from [a-z0-9_] like Python's tempfile. The file is created
// exclusively (O_EXCL, mode 0600 like mkstemp) so two processes never share one.
//
// Cleanup removes every entry of childlogdir whose name matches, from its
// start, supervisord's pattern  .+?---<identifier>-\S+\.log  (backups such as
// ".log.3" match too). Deliberate difference: the identifier is matched
// literally, where supervisord pastes it into the regex unescaped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "log/stream.h"
#include "util/result.h"

namespace tend {

// Creates the file and returns its absolute path (childlogdir is used as given).
// Error: "unable to create AUTO log in <dir>: <reason>".
Result<std::string> create_auto_log(std::string_view childlogdir, std::string_view procname, Stream channel,
                                    std::string_view identifier);

// Whether a file name (no directory) is an AUTO log of this identifier.
bool is_auto_log_name(std::string_view filename, std::string_view identifier);

struct AutoLogCleanup {
  int removed = 0;
  std::vector<std::string> errors;  // "unable to remove <path>: <reason>", or "unable to read <dir>: ..."
};

// Deletes the AUTO logs of this identifier in childlogdir. The caller logs the
// errors at WARN.
AutoLogCleanup clean_auto_logs(std::string_view childlogdir, std::string_view identifier);

}  // namespace tend
