#include "init/options.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tend::init {
namespace {

// Owns argv storage for one parse.
Result<ParsedArgs> parse(std::vector<std::string> args, const char* env = nullptr) {
  static std::vector<std::string> storage;
  static std::vector<char*> argv;
  storage = std::move(args);
  storage.insert(storage.begin(), "tend");
  argv.clear();
  for (std::string& s : storage) {
    argv.push_back(s.data());
  }
  argv.push_back(nullptr);
  return parse_init_args(static_cast<int>(storage.size()), argv.data(), env);
}

TEST(InitOptions, DefaultsAndCommand) {
  Result<ParsedArgs> r = parse({"--", "sh", "-c", "exit 3"});
  ASSERT_TRUE(r.ok()) << r.error();
  const InitOptions& o = r->options;
  EXPECT_TRUE(r->run);
  EXPECT_EQ(o.command, (std::vector<std::string>{"sh", "-c", "exit 3"}));
  EXPECT_TRUE(o.remap_to_zero.empty());
  EXPECT_FALSE(o.group);
  EXPECT_EQ(o.pdeath_signal, 0);
  EXPECT_EQ(o.verbosity, 1);
  EXPECT_TRUE(o.subreaper);
  EXPECT_DOUBLE_EQ(o.grace_seconds, 5.0);
  EXPECT_EQ(o.on_main_exit, MainExitPolicy::k_sweep);
}

TEST(InitOptions, AllOptions) {
  Result<ParsedArgs> r = parse({"-e", "143", "-e", "0", "-g", "-p", "SIGUSR1", "-vv", "-w", "--no-subreaper",
                                "--grace", "0.25", "--on-main-exit=wait", "--", "cmd", "-v", "--"});
  ASSERT_TRUE(r.ok()) << r.error();
  const InitOptions& o = r->options;
  EXPECT_EQ(o.remap_to_zero, (std::set<int>{0, 143}));
  EXPECT_TRUE(o.group);
  EXPECT_EQ(o.pdeath_signal, 10);
  EXPECT_EQ(o.verbosity, 3);
  EXPECT_TRUE(o.warn_on_reap);
  EXPECT_FALSE(o.subreaper);
  EXPECT_DOUBLE_EQ(o.grace_seconds, 0.25);
  EXPECT_EQ(o.on_main_exit, MainExitPolicy::k_wait);
  EXPECT_EQ(o.command, (std::vector<std::string>{"cmd", "-v", "--"}));
}

TEST(InitOptions, SecondDashDashIsTheProgram) {
  Result<ParsedArgs> r = parse({"--", "--", "true"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->options.command, (std::vector<std::string>{"--", "true"}));
}

TEST(InitOptions, VerbosityFromEnvironmentIsTheBase) {
  Result<ParsedArgs> r = parse({"--", "x"}, "2");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->options.verbosity, 2);
  r = parse({"-v", "--", "x"}, "0");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->options.verbosity, 1);
  EXPECT_FALSE(parse({"--", "x"}, "loud").ok());
}

TEST(InitOptions, HelpAndVersionDoNotRun) {
  Result<ParsedArgs> r = parse({"-h", "--", "x"});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->run);
  EXPECT_NE(r->text.find("usage: tend"), std::string::npos);
  r = parse({"--version", "--", "x"});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->run);
  EXPECT_EQ(r->text.rfind("tend ", 0), 0u);
}

struct BadCase {
  std::vector<std::string> args;
  std::string message;
};

TEST(InitOptions, UsageErrorsNameTheProblem) {
  std::vector<BadCase> cases = {
      {{"--bogus", "--", "x"}, "unknown option '--bogus'"},
      {{"-z", "--", "x"}, "unknown option '-z'"},
      {{"-e", "--", "x"}, "option '-e' needs an argument"},
      {{"-e", "256", "--", "x"}, "invalid exit code '256'"},
      {{"-e", "abc", "--", "x"}, "invalid exit code 'abc'"},
      {{"-p", "NOPE", "--", "x"}, "invalid signal 'NOPE' for -p"},
      {{"--grace", "-1", "--", "x"}, "invalid --grace '-1'"},
      {{"--grace", "nan", "--", "x"}, "invalid --grace 'nan'"},
      {{"--grace", "--", "x"}, "option '--grace' needs an argument"},
      {{"--on-main-exit=later", "--", "x"}, "invalid --on-main-exit 'later'"},
      {{"stray", "--", "x"}, "unexpected argument 'stray' before '--'"},
      {{"--"}, "no command after '--'"},
      {{"-v"}, "missing '--'"},
  };
  for (const BadCase& c : cases) {
    Result<ParsedArgs> r = parse(c.args);
    ASSERT_FALSE(r.ok()) << c.message;
    EXPECT_NE(r.error().find(c.message), std::string::npos) << "got: " << r.error() << " want: " << c.message;
  }
}

TEST(InitOptions, RepeatedParsesDoNotLeakGetoptState) {
  ASSERT_FALSE(parse({"-z", "--", "x"}).ok());
  Result<ParsedArgs> r = parse({"-g", "--", "x"});
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_TRUE(r->options.group);
}

}  // namespace
}  // namespace tend::init
