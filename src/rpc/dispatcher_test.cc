#include "rpc/dispatcher.h"

#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>

#include "rpc/faults.h"
#include "rpc/system_api.h"

namespace tend::rpc {
namespace {

// Captures what a Reply was completed with.
struct Capture {
  std::shared_ptr<std::optional<Outcome>> got = std::make_shared<std::optional<Outcome>>();
  int* count = nullptr;
  Reply reply() const {
    auto g = got;
    return Reply([g](Outcome o) { *g = std::move(o); });
  }
  bool has() const { return got->has_value(); }
  const Value& value() const { return std::get<Value>(**got); }
  const Fault& fault() const { return std::get<Fault>(**got); }
};

Outcome echo(const Array& p) { return Value(p); }

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(d.add_sync("t.echo", 0, -1, echo, "echo help", {"array"}).ok());
    ASSERT_TRUE(d.add_sync("t.two", 1, 2, echo).ok());
    MethodSpec later;
    later.name = "t.later";
    later.min_params = 1;
    later.max_params = 1;
    later.handler = [this](const Array& p, const Reply& r) { pending.push_back({p[0], r}); };
    ASSERT_TRUE(d.add(std::move(later)).ok());
  }
  void complete_pending(size_t i) { pending[i].second.ok(pending[i].first); }

  Dispatcher d;
  std::vector<std::pair<Value, Reply>> pending;
};

TEST_F(DispatcherTest, RegistrationRules) {
  EXPECT_FALSE(d.add_sync("noDot", 0, 0, echo).ok());
  EXPECT_FALSE(d.add_sync("a.b.c", 0, 0, echo).ok());
  EXPECT_FALSE(d.add_sync("a._hidden", 0, 0, echo).ok());
  EXPECT_FALSE(d.add_sync("_a.b", 0, 0, echo).ok());
  EXPECT_FALSE(d.add_sync(".b", 0, 0, echo).ok());
  EXPECT_FALSE(d.add_sync("t.echo", 0, 0, echo).ok());
  EXPECT_FALSE(d.add_sync("t.bad", 2, 1, echo).ok());
  EXPECT_FALSE(d.add_sync("t.nohandler", 0, 0, nullptr).ok());
}

TEST_F(DispatcherTest, NameFaults) {
  for (const char* name : {"t.nope", "t", "t.echo.x", "t._echo", "_t.echo", "", "x.y"}) {
    Capture c;
    d.dispatch(Call{name, {}}, c.reply());
    ASSERT_TRUE(c.has()) << name;
    EXPECT_EQ(c.fault(), make_fault(faults::k_unknown_method)) << name;
  }
}

TEST_F(DispatcherTest, ArityFaults) {
  Capture none;
  d.dispatch(Call{"t.two", {}}, none.reply());
  EXPECT_EQ(none.fault(), (Fault{2, "INCORRECT_PARAMETERS"}));
  Capture three;
  d.dispatch(Call{"t.two", {Value(1), Value(2), Value(3)}}, three.reply());
  EXPECT_EQ(three.fault().code, faults::k_incorrect_parameters);
  Capture two;
  d.dispatch(Call{"t.two", {Value(1), Value(2)}}, two.reply());
  EXPECT_EQ(two.value(), Value(Array{Value(1), Value(2)}));
}

TEST_F(DispatcherTest, DeferredReplyCompletesLaterOnce) {
  Capture c;
  d.dispatch(Call{"t.later", {Value("x")}}, c.reply());
  EXPECT_FALSE(c.has());
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_TRUE(pending[0].second.wanted());
  complete_pending(0);
  ASSERT_TRUE(c.has());
  EXPECT_EQ(c.value(), Value("x"));
  EXPECT_TRUE(pending[0].second.done());
  pending[0].second.fail(Fault{1, "late"});  // ignored
  EXPECT_EQ(c.value(), Value("x"));
}

TEST_F(DispatcherTest, AbandonedReplyIsANoOp) {
  int calls = 0;
  Reply r([&calls](Outcome) { ++calls; });
  d.dispatch(Call{"t.later", {Value(1)}}, r);
  r.abandon();
  EXPECT_FALSE(pending[0].second.wanted());
  complete_pending(0);
  EXPECT_EQ(calls, 0);
}

TEST_F(DispatcherTest, ThrowingHandlerBecomesInternalError) {
  ASSERT_TRUE(d.add_sync("t.throws", 1, 1, [](const Array& p) -> Outcome { return Value(p[0].as_int()); }).ok());
  Capture c;
  d.dispatch(Call{"t.throws", {Value("not an int")}}, c.reply());
  ASSERT_TRUE(c.has());
  EXPECT_TRUE(std::holds_alternative<InternalError>(**c.got));
}

TEST(Faults, Strings) {
  EXPECT_EQ(make_fault(faults::k_bad_name, "good"), (Fault{10, "BAD_NAME: good"}));
  EXPECT_EQ(make_fault(faults::k_shutdown_state), (Fault{6, "SHUTDOWN_STATE"}));
  EXPECT_EQ(make_fault(faults::k_cant_reread, "x").string, "CANT_REREAD: x");
  EXPECT_EQ(fault_name(999), "UNKNOWN_FAULT");
}

class SystemApiTest : public DispatcherTest {
 protected:
  void SetUp() override {
    DispatcherTest::SetUp();
    ASSERT_TRUE(install_system_api(d).ok());
  }
  Capture call(const std::string& name, Array params) {
    Capture c;
    d.dispatch(Call{name, std::move(params)}, c.reply());
    return c;
  }
  static Value mc(const std::string& name, Array params) {
    return Value(Struct{{"methodName", Value(name)}, {"params", Value(std::move(params))}});
  }
};

TEST_F(SystemApiTest, ListMethodsSorted) {
  Capture c = call("system.listMethods", {});
  EXPECT_EQ(c.value(), Value(Array{Value("system.listMethods"), Value("system.methodHelp"),
                                   Value("system.methodSignature"), Value("system.multicall"), Value("t.echo"),
                                   Value("t.later"), Value("t.two")}));
}

TEST_F(SystemApiTest, HelpAndSignature) {
  EXPECT_EQ(call("system.methodHelp", {Value("t.echo")}).value(), Value("echo help"));
  EXPECT_EQ(call("system.methodHelp", {Value("t.two")}).fault().code, faults::k_signature_unsupported);
  EXPECT_EQ(call("system.methodHelp", {Value("t.nope")}).fault().code, faults::k_signature_unsupported);
  EXPECT_EQ(call("system.methodSignature", {Value("t.echo")}).value(), Value(Array{Value("array")}));
  EXPECT_EQ(call("system.methodSignature", {Value("system.methodHelp")}).value(),
            Value(Array{Value("string"), Value("string")}));
  EXPECT_EQ(call("system.methodSignature", {Value("t.later")}).fault().code, faults::k_signature_unsupported);
  EXPECT_EQ(call("system.methodHelp", {}).fault().code, faults::k_incorrect_parameters);
}

TEST_F(SystemApiTest, MulticallUnwrapsAndReportsFaults) {
  Capture c = call("system.multicall",
                   {Value(Array{mc("t.echo", {Value(1)}), mc("t.nope", {}), mc("t.two", {}),
                                mc("system.multicall", {Value(Array{})}), Value(Struct{{"params", Value(Array{})}}),
                                Value(Struct{{"methodName", Value("t.echo")}})})});
  ASSERT_TRUE(c.has());
  Array expect{Value(Array{Value(1)}),
               Value(Struct{{"faultCode", Value(1)}, {"faultString", Value("UNKNOWN_METHOD")}}),
               Value(Struct{{"faultCode", Value(2)}, {"faultString", Value("INCORRECT_PARAMETERS")}})};
  const Array& got = c.value().as_array();
  ASSERT_EQ(got.size(), 6u);
  EXPECT_EQ(got[0], expect[0]);
  EXPECT_EQ(got[1], expect[1]);
  EXPECT_EQ(got[2], expect[2]);
  EXPECT_EQ(got[3].get("faultCode")->as_int(), faults::k_incorrect_parameters);
  EXPECT_EQ(got[4].get("faultCode")->as_int(), faults::k_incorrect_parameters);
  EXPECT_EQ(got[5], Value(Array{}));  // params may be omitted
  EXPECT_EQ(call("system.multicall", {Value("x")}).fault().code, faults::k_incorrect_parameters);
}

TEST_F(SystemApiTest, MulticallWaitsForDeferredCallsInOrder) {
  Capture c = call("system.multicall",
                   {Value(Array{mc("t.later", {Value("a")}), mc("t.echo", {Value(2)}), mc("t.later", {Value("b")})})});
  // Only the first deferred call has started; the rest wait for it.
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_FALSE(c.has());
  complete_pending(0);
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[1].first, Value("b"));
  EXPECT_FALSE(c.has());
  pending[1].second.fail(make_fault(faults::k_spawn_error, "b"));
  ASSERT_TRUE(c.has());
  EXPECT_EQ(c.value(), Value(Array{Value("a"), Value(Array{Value(2)}),
                                   Value(Struct{{"faultCode", Value(50)}, {"faultString", Value("SPAWN_ERROR: b")}})}));
}

TEST_F(SystemApiTest, MulticallStopsWhenAbandoned) {
  int calls = 0;
  Reply r([&calls](Outcome) { ++calls; });
  d.dispatch(Call{"system.multicall", {Value(Array{mc("t.later", {Value(1)}), mc("t.later", {Value(2)})})}}, r);
  ASSERT_EQ(pending.size(), 1u);
  r.abandon();
  complete_pending(0);
  EXPECT_EQ(pending.size(), 1u);  // the second call never started
  EXPECT_EQ(calls, 0);
}

TEST_F(SystemApiTest, LongSynchronousMulticallKeepsStackFlat) {
  Array calls;
  for (int i = 0; i < 20000; ++i) {
    calls.push_back(mc("t.echo", {}));
  }
  Capture c = call("system.multicall", {Value(std::move(calls))});
  ASSERT_TRUE(c.has());
  EXPECT_EQ(c.value().as_array().size(), 20000u);
}

TEST_F(SystemApiTest, MulticallInternalErrorIsFailedEntry) {
  ASSERT_TRUE(d.add_sync("t.throws", 0, 0, [](const Array&) -> Outcome { throw std::runtime_error("boom"); }).ok());
  Capture c = call("system.multicall", {Value(Array{mc("t.throws", {})})});
  const Value& entry = c.value().as_array().at(0);
  EXPECT_EQ(entry.get("faultCode")->as_int(), faults::k_failed);
  EXPECT_EQ(entry.get("faultString")->as_string(), "FAILED: t.throws: boom");
}

}  // namespace
}  // namespace tend::rpc
