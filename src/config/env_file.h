// environment_file=: the dotenv files of a program or of [supervisord], read
// each time the configuration is loaded (start, reread, SIGHUP), so that the
// variables they hold are part of the configuration that update compares.
//
// The format, one rule per line of docs/config.md ("Environment files"):
//  1. Each statement is KEY=VALUE. Blank lines are skipped, and so is a line
//     whose first character other than a space or tab is '#'.
//  2. "export " (then spaces or tabs) may come before KEY; spaces and tabs
//     around KEY and '=' are ignored.
//  3. KEY starts with a letter or '_' and goes on with letters, digits, '_',
//     '.' and '-'. A line without '=' is an error.
//  4. An unquoted VALUE is the rest of the line with trailing spaces and tabs
//     removed; a '#' after a space or tab starts a comment (KEY= # x is
//     empty, KEY=a#b is "a#b"). Quotes inside it are kept.
//  5. 'VALUE' is taken literally: no escapes, and it may span lines.
//  6. "VALUE" turns \n into a newline, \" into '"' and \\ into '\'; any other
//     backslash is kept. It may span lines.
//  7. After a closing quote, only spaces, tabs and a '#' comment may follow.
//  8. A CR right before a line feed (or at the end) is dropped: CRLF files
//     read like LF ones. A NUL byte is an error.
//  9. A KEY given twice keeps the later value (at the place of the first).
#pragma once

#include <string>
#include <string_view>

#include "config/model.h"
#include "util/result.h"

namespace tend {

// The variables of a dotenv text, in order. An error reads
// "<source>:<line>: <what>", the line being where the statement starts.
Result<EnvList> parse_dotenv(std::string_view text, std::string_view source);

// The variables of the files an environment_file= value names, separated by
// commas (an empty entry is skipped), a later file winning. A path may start
// with '~' (home directory, `home` = $HOME) and is relative to `base_dir`
// otherwise; a leading '-' makes a missing file no error. Any other file that
// cannot be read or parsed is an error naming the file (and the line).
Result<EnvList> read_env_files(std::string_view list, const std::string& base_dir, const std::string& home);

}  // namespace tend
