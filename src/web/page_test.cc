#include "web/page.h"

#include <gtest/gtest.h>

namespace tend::web {
namespace {

IndexView sample() {
  IndexView v;
  v.title = "supervisor";
  v.version = "1.0";
  v.rows.push_back({"g", "a", "g:a", "RUNNING", "pid 1, uptime 0:00:01"});
  v.rows.push_back({"g", "b", "g:b", "STOPPED", "Not started"});
  v.rows.push_back({"web", "web", "web", "FATAL", "Exited too quickly"});
  return v;
}

TEST(WebPage, IndexHasTheStructureTheScriptReadsAndNoInlineCode) {
  std::string html = render_index(sample());
  EXPECT_NE(html.find("<main id=\"console\" data-api=\"api/\">"), std::string::npos);
  EXPECT_NE(html.find("<table id=\"processes\">"), std::string::npos);
  EXPECT_NE(html.find("<tbody data-group=\"g\">\n<tr data-namespec=\"g:a\"><td class=\"state state-running\">"),
            std::string::npos);
  EXPECT_NE(html.find("<tbody data-group=\"web\">"), std::string::npos);
  EXPECT_NE(html.find("<link rel=\"stylesheet\" href=\"assets/console.css\">"), std::string::npos);
  EXPECT_NE(html.find("<link rel=\"icon\" href=\"assets/favicon.svg\""), std::string::npos);
  EXPECT_NE(html.find("<script src=\"assets/console.js\" defer></script>"), std::string::npos);
  EXPECT_NE(html.find("<meta name=\"viewport\""), std::string::npos);
  EXPECT_NE(html.find("href=\"index.html?action=refresh\""), std::string::npos);
  EXPECT_NE(html.find("href=\"index.html?action=restartall\""), std::string::npos);
  EXPECT_NE(html.find("href=\"index.html?action=stopall\""), std::string::npos);
  EXPECT_NE(html.find("href=\"index.html?processname=g%3Aa&amp;action=stop\""), std::string::npos);
  EXPECT_NE(html.find("href=\"index.html?processname=g%3Ab&amp;action=start\""), std::string::npos);
  EXPECT_EQ(html.find("processname=g%3Ab&amp;action=stop"), std::string::npos);  // nothing to stop
  EXPECT_NE(html.find("href=\"tail.html?processname=web\""), std::string::npos);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_EQ(html.find("style="), std::string::npos);
  EXPECT_EQ(html.find("<style"), std::string::npos);
  EXPECT_EQ(html.find("id=\"message\""), std::string::npos);
}

TEST(WebPage, EveryNameDescriptionAndMessageIsEscaped) {
  IndexView v;
  v.title = "<t>";
  v.version = "1";
  v.message = "<img src=x onerror=alert(1)>";
  const std::string evil = "<img src=x onerror=alert(1)>";
  v.rows.push_back({evil, evil, evil + ":" + evil, "RUNNING", "\"><script>alert(2)</script>"});
  std::string html = render_index(v);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_EQ(html.find("<t>"), std::string::npos);
  EXPECT_NE(html.find("<p id=\"message\" role=\"status\">&lt;img src=x onerror=alert(1)&gt;</p>"),
            std::string::npos);
  EXPECT_NE(html.find("data-group=\"&lt;img src=x onerror=alert(1)&gt;\""), std::string::npos);
  EXPECT_NE(html.find("processname=%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E%3A"), std::string::npos);
}

TEST(WebPage, RowActionsFollowTheState) {
  EXPECT_EQ(row_actions("RUNNING"), (std::vector<std::string>{"restart", "stop", "clearlog"}));
  EXPECT_EQ(row_actions("EXITED"), (std::vector<std::string>{"start", "clearlog"}));
  EXPECT_EQ(row_actions("STARTING"), (std::vector<std::string>{"clearlog"}));
}

TEST(WebPage, EmptyTableSaysSo) {
  IndexView v;
  std::string html = render_index(v);
  EXPECT_NE(html.find("<table id=\"processes\">"), std::string::npos);
  EXPECT_NE(html.find("No programs are configured."), std::string::npos);
}

TEST(WebPage, TailEscapesTheLogAndKeepsTheLimit) {
  TailView v;
  v.processname = "g:<a>";
  v.limit = 4096;
  v.text = "line <b>1</b>\n\xff";
  std::string html = render_tail(v);
  EXPECT_NE(html.find("<pre id=\"tailbody\">line &lt;b&gt;1&lt;/b&gt;\n\xEF\xBF\xBD</pre>"), std::string::npos);
  EXPECT_NE(html.find("href=\"tail.html?processname=g%3A%3Ca%3E&amp;limit=4096\""), std::string::npos);
  EXPECT_EQ(html.find("<a>"), std::string::npos);
  TailView none;
  none.text = "No process name found";
  html = render_tail(none);
  EXPECT_NE(html.find("No process name found"), std::string::npos);
  EXPECT_EQ(html.find("limit="), std::string::npos);
}

}  // namespace
}  // namespace tend::web
