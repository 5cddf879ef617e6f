#include "web/page.h"

#include <algorithm>

#include <fmt/format.h>

#include "web/text.h"

namespace tend::web {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

void head(std::string& out, std::string_view title, bool script) {
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
  append_html_escaped(out, title);
  out += "</title>\n<link rel=\"icon\" href=\"assets/favicon.svg\" type=\"image/svg+xml\">\n"
         "<link rel=\"stylesheet\" href=\"assets/console.css\">\n";
  if (script) {
    out += "<script src=\"assets/console.js\" defer></script>\n";
  }
  out += "</head>\n";
}

const char* action_label(const std::string& action) {
  if (action == "start") {
    return "Start";
  }
  if (action == "stop") {
    return "Stop";
  }
  if (action == "restart") {
    return "Restart";
  }
  return "Clear log";
}

void row(std::string& out, const RowView& r) {
  std::string quoted = url_quote(r.namespec);  // only [A-Za-z0-9_.~/%-] remain: safe in an attribute
  out += "<tr data-namespec=\"";
  append_html_escaped(out, r.namespec);
  out += "\"><td class=\"state state-";
  append_html_escaped(out, lower(r.state));
  out += "\">";
  append_html_escaped(out, r.state);
  out += "</td><td class=\"description\">";
  append_html_escaped(out, r.description);
  fmt::format_to(std::back_inserter(out), "</td><td class=\"name\"><a href=\"tail.html?processname={}\">", quoted);
  append_html_escaped(out, r.namespec);
  out += "</a></td><td class=\"actions\">";
  for (const std::string& a : row_actions(r.state)) {
    fmt::format_to(std::back_inserter(out), "<a href=\"index.html?processname={}&amp;action={}\">{}</a> ", quoted, a,
                   action_label(a));
  }
  fmt::format_to(std::back_inserter(out),
                 "<a href=\"tail.html?processname={0}\">Tail</a> "
                 "<a href=\"logtail/{0}\" target=\"_blank\" rel=\"noopener\">Follow stdout</a> "
                 "<a href=\"logtail/{0}/stderr\" target=\"_blank\" rel=\"noopener\">Follow stderr</a>",
                 quoted);
  out += "</td></tr>\n";
}

}  // namespace

std::vector<std::string> row_actions(const std::string& state) {
  if (state == "RUNNING") {
    return {"restart", "stop", "clearlog"};
  }
  if (state == "STOPPED" || state == "EXITED" || state == "FATAL") {
    return {"start", "clearlog"};
  }
  return {"clearlog"};
}

std::string render_index(const IndexView& view) {
  std::string out;
  out.reserve(2048 + view.rows.size() * 600);
  head(out, fmt::format("{} status", view.title), true);
  out += "<body>\n<main id=\"console\" data-api=\"api/\">\n<header>\n<h1>";
  append_html_escaped(out, view.title);
  out += "</h1>\n<nav class=\"global-actions\">"
         "<a href=\"index.html?action=refresh\">Refresh</a> "
         "<a href=\"index.html?action=restartall\">Restart all</a> "
         "<a href=\"index.html?action=stopall\">Stop all</a> "
         "<a href=\"mainlogtail\" target=\"_blank\" rel=\"noopener\">Main log</a>"
         "</nav>\n</header>\n";
  if (view.message) {
    out += "<p id=\"message\" role=\"status\">";
    append_html_escaped(out, *view.message);
    out += "</p>\n";
  }
  out += "<table id=\"processes\">\n<thead><tr><th scope=\"col\">State</th><th scope=\"col\">Description</th>"
         "<th scope=\"col\">Name</th><th scope=\"col\">Actions</th></tr></thead>\n";
  size_t i = 0;
  while (i < view.rows.size()) {
    const std::string& group = view.rows[i].group;
    out += "<tbody data-group=\"";
    append_html_escaped(out, group);
    out += "\">\n";
    for (; i < view.rows.size() && view.rows[i].group == group; ++i) {
      row(out, view.rows[i]);
    }
    out += "</tbody>\n";
  }
  out += "</table>\n";
  if (view.rows.empty()) {
    out += "<p id=\"empty\">No programs are configured.</p>\n";
  }
  out += "<footer>tend ";
  append_html_escaped(out, view.version);
  out += "</footer>\n</main>\n</body>\n</html>\n";
  return out;
}

std::string render_tail(const TailView& view) {
  std::string out;
  std::string name = view.processname.value_or("");
  head(out, view.processname ? fmt::format("Tail of {}", name) : std::string("Tail"), false);
  out += "<body>\n<main id=\"tail\">\n<h1>";
  if (view.processname) {
    out += "Tail of ";
    append_html_escaped(out, name);
  } else {
    out += "Tail";
  }
  out += "</h1>\n<nav>";
  if (view.processname) {
    fmt::format_to(std::back_inserter(out), "<a href=\"tail.html?processname={}&amp;limit={}\">Refresh</a> ",
                   url_quote(name), view.limit);
  }
  out += "<a href=\"index.html\">Back to the process list</a></nav>\n<pre id=\"tailbody\">";
  append_html_escaped(out, view.text);
  out += "</pre>\n</main>\n</body>\n</html>\n";
  return out;
}

}  // namespace tend::web
