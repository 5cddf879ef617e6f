// The server-rendered pages: the process list at / and /index.html, and
// /tail.html. They work without JavaScript (every action is a plain link in
// supervisord's query form); console.js, when it runs, takes the table over
// (the structure it relies on is in docs/web.md). Every name, description,
// message and log byte is HTML-escaped; the pages carry no inline script or
// style (the Content-Security-Policy forbids them).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tend::web {

struct RowView {
  std::string group;
  std::string name;
  std::string namespec;     // "name" or "group:name"
  std::string state;        // statename: "RUNNING"
  std::string description;  // getProcessInfo's
};

struct IndexView {
  std::string title;                   // the supervisor's identification
  std::string version;                 // tend's
  std::optional<std::string> message;  // from ?message=
  std::vector<RowView> rows;           // in supervisord's order: by group, then name
};

// The actions a row offers, as supervisord's page does: restart and stop
// while RUNNING; start when STOPPED, EXITED or FATAL; clear log always.
std::vector<std::string> row_actions(const std::string& state);

std::string render_index(const IndexView& view);

struct TailView {
  std::optional<std::string> processname;  // nullopt: none asked for
  int64_t limit = 1024;                    // bytes asked for (the refresh link keeps it)
  std::string text;                        // the log's end, or what went wrong
};

std::string render_tail(const TailView& view);

}  // namespace tend::web
