#include "events/result_handler.h"

#include <gtest/gtest.h>

namespace tend::events {
namespace {

TEST(ResultHandler, DefaultAcceptsOnlyOK) {
  EXPECT_EQ(default_handler("OK"), Verdict::Accepted);
  for (const char* body : {"", "FAIL", "ok", "OK\n", " OK"}) {
    EXPECT_EQ(default_handler(body), Verdict::Rejected) << body;
  }
}

TEST(ResultHandler, SupervisorStdoutPrintsEachLineWithItsPrefix) {
  struct Case {
    const char* name;
    std::string body;
    std::optional<std::string> printed;
  };
  const std::string head = "processname:web groupname:web pid:12 channel:stdout\n";
  const Case cases[] = {
      {"two_lines", head + "hello\nworld\n", "web stdout | hello\nweb stdout | world\nweb stdout | \n"},
      {"no_newline", head + "partial", "web stdout | partial\n"},
      {"empty_data", head, "web stdout | \n"},
      {"stderr", "processname:db groupname:db pid:3 channel:stderr\nboom", "db stderr | boom\n"},
      {"unicode", head + "caf\xc3\xa9", "web stdout | caf\xc3\xa9\n"},
      {"extra_spaces", "  processname:web\tchannel:x  \nd", "web x | d\n"},
      {"no_header_line", "processname:web channel:stdout", std::nullopt},
      {"not_utf8", head + "\xff", std::nullopt},
      {"field_without_colon", "processname:web channel:stdout extra\nd", std::nullopt},
      {"field_with_two_colons", "processname:web channel:std:out\nd", std::nullopt},
      {"no_channel", "processname:web\nd", std::nullopt},
      {"not_a_log_event", "processname:web groupname:web from_state:STARTING tries:0", std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(stdout_handler_text(c.body), c.printed) << c.name;
  }
}

TEST(ResultHandler, MadeByName) {
  std::string out;
  ListenerProtocol::Handler stdout_handler =
      make_result_handler("supervisor_stdout:event_handler", [&](std::string_view t) { out += t; });
  EXPECT_EQ(stdout_handler("processname:p channel:stdout\nx"), Verdict::Accepted);
  EXPECT_EQ(out, "p stdout | x\n");
  EXPECT_EQ(stdout_handler("FAIL"), Verdict::Error);
  ListenerProtocol::Handler def = make_result_handler("supervisor.dispatchers:default_handler", nullptr);
  EXPECT_EQ(def("OK"), Verdict::Accepted);
  EXPECT_EQ(def("FAIL"), Verdict::Rejected);
}

}  // namespace
}  // namespace tend::events
