// supervisord's query API on / and /index.html:
//   ?processname=<ns>&action=start|stop|restart|clearlog
//   ?action=refresh|stopall|restartall
// Each action runs through the command layer and answers, once it is done
// (a stop once the process has stopped, a start once it runs, as
// supervisord's page waits), with 301 to "<server>/?message=<quoted text>";
// the texts are supervisord 4.2.5's, so scripts that read them keep working.
#pragma once

#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/commands.h"
#include "core/supervisor.h"
#include "web/text.h"

namespace tend::web {

enum class QueryKind {
  Page,        // no action: show the page
  Refresh,     // not an action: only a message
  StopAll,
  RestartAll,
  Process,     // an action on the process named in processname
  Invalid,     // an action supervisord cannot perform (it answers 500)
};

struct QueryAction {
  QueryKind kind = QueryKind::Page;
  std::string action;      // start, stop, restart, clearlog (Process only)
  std::string namespec;    // Process only
};

// What the form asks for. As in supervisord: a processname with any action
// other than refresh/stopall/restartall is a Process action (even an unknown
// action: an unknown process still gets "No such process named", a known one
// Invalid); an unknown action without processname is Invalid.
QueryAction classify_query(const Form& form);
// Whether the request changes something (refresh and page views do not):
// those are refused cross-site.
bool changes_state(QueryKind k);

// The messages, as supervisord words them.
std::string no_such_process_message(const std::string& namespec);
std::string start_message(const std::string& namespec, const CommandResult& r);
std::string stop_message(const std::string& namespec, const CommandResult& r);
std::string clearlog_message(const std::string& namespec, const CommandResult& r);
std::string restart_message(const std::string& namespec);
std::string refresh_message(time_t now);
std::string stopall_message(time_t now);
std::string restartall_message(time_t now);

// The bytes tail.html shows for `limit=` (nullptr: absent), as supervisord
// reads it: a string of digits N gives max(1024, N), anything else 1024;
// never more than `max`.
int64_t tail_limit(const std::string* limit, int64_t max);

// "http://<Host>" as supervisord builds its redirect target from the Host
// header (":80" dropped; "localhost" without a Host header), and the Location
// of a message there: "<server>/?message=<quoted>".
std::string server_url(const std::string* host);
std::string message_location(const std::string& server, const std::string& message);

// Runs `a` against `sup`; `done` gets the message (nullopt: the action is
// Invalid, answer 500) once the action is over. The action runs to its end
// even when the client goes away; `done` is then not called (`alive`
// returns false).
void run_query_action(Supervisor& sup, const QueryAction& a, std::function<bool()> alive,
                      std::function<void(std::optional<std::string>)> done);

}  // namespace tend::web
