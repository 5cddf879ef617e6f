#include "config/event_types.h"

#include <gtest/gtest.h>

namespace tend {
namespace {

TEST(EventTypes, NamesAreSupervisords) {
  // events.py's EventTypes, all 27 of them.
  ASSERT_EQ(event_types().size(), 27u);
  for (const EventTypeInfo& i : event_types()) {
    EXPECT_EQ(find_event_type(i.name), i.type) << i.name;
    EXPECT_EQ(event_type_name(i.type), i.name);
  }
  EXPECT_FALSE(find_event_type("tick_5"));  // names arrive upper-cased
  EXPECT_FALSE(find_event_type(""));
  EXPECT_FALSE(find_event_type("EVENTS"));
}

TEST(EventTypes, AbstractTypesCoverTheirSubtypes) {
  struct Case {
    EventType t;
    EventType subscribed;
    bool reaches;
  };
  const Case cases[] = {
      {EventType::ProcessStateRunning, EventType::ProcessState, true},
      {EventType::ProcessStateRunning, EventType::Event, true},
      {EventType::ProcessStateRunning, EventType::ProcessStateRunning, true},
      {EventType::ProcessStateRunning, EventType::ProcessStateExited, false},
      {EventType::ProcessLogStderr, EventType::ProcessLog, true},
      {EventType::ProcessLogStderr, EventType::ProcessCommunication, false},
      {EventType::ProcessCommunicationStdout, EventType::ProcessCommunication, true},
      {EventType::Tick60, EventType::Tick, true},
      {EventType::Tick60, EventType::Tick5, false},
      {EventType::SupervisorStateChangeStopping, EventType::SupervisorStateChange, true},
      {EventType::ProcessGroupRemoved, EventType::ProcessGroup, true},
      {EventType::RemoteCommunication, EventType::Event, true},
      {EventType::ProcessState, EventType::ProcessStateRunning, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(is_a(c.t, c.subscribed), c.reaches) << event_type_name(c.t) << " / " << event_type_name(c.subscribed);
  }
  int abstract = 0;
  for (const EventTypeInfo& i : event_types()) {
    abstract += i.abstract ? 1 : 0;
  }
  EXPECT_EQ(abstract, 7);  // EVENT and the six families but REMOTE_COMMUNICATION
}

TEST(EventTypes, UpperIsPythons) {
  EXPECT_EQ(upper_event_name("tick_5"), "TICK_5");
  EXPECT_EQ(upper_event_name("Process_State"), "PROCESS_STATE");
  EXPECT_EQ(upper_event_name("proce\xc3\x9f_log"), "PROCESS_LOG");  // ß
  EXPECT_EQ(upper_event_name("t\xc4\xb1" "ck_5"), "TICK_5");          // dotless ı
  EXPECT_EQ(upper_event_name("\xef\xac\x81"), "FI");                  // the ﬁ ligature
  EXPECT_EQ(upper_event_name("\xc3\xa9t\xff"), "\xc3\xa9T\xff");      // others kept as they are
}

}  // namespace
}  // namespace tend
