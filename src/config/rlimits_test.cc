// The rlimit_* keys: every form of the value, its errors, and the loader
// carrying them into each program-like section with file:line on error.
#include "config/rlimits.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/loader.h"

namespace tend {
namespace {

constexpr uint64_t k_inf = ResourceLimit::k_unlimited;

const RlimitKind& kind(std::string_view key) {
  for (const RlimitKind& k : k_rlimit_kinds) {
    if (k.key == key) {
      return k;
    }
  }
  ADD_FAILURE() << "no kind " << key;
  return k_rlimit_kinds[0];
}

std::optional<ResourceLimit> ok(std::string_view text, std::string_view key = "rlimit_core") {
  Result<std::optional<ResourceLimit>> r = parse_rlimit(text, kind(key));
  EXPECT_TRUE(r.ok()) << text << ": " << r.error();
  return r.ok() ? *r : std::nullopt;
}

std::string error(std::string_view text, std::string_view key = "rlimit_core") {
  Result<std::optional<ResourceLimit>> r = parse_rlimit(text, kind(key));
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.error();
}

TEST(ParseRlimit, EveryForm) {
  using L = ResourceLimit;
  EXPECT_EQ(ok("4096", "rlimit_nofile"), (L{4096, 4096}));
  EXPECT_EQ(ok("1024:4096", "rlimit_nofile"), (L{1024, 4096}));
  EXPECT_EQ(ok(" 1024 : 4096 ", "rlimit_nofile"), (L{1024, 4096}));
  EXPECT_EQ(ok("0"), (L{0, 0}));  // 0 is a limit of 0 (no core files), not "unlimited"
  EXPECT_EQ(ok("unlimited"), (L{k_inf, k_inf}));
  EXPECT_EQ(ok("UNLIMITED"), (L{k_inf, k_inf}));
  EXPECT_EQ(ok("0:unlimited"), (L{0, k_inf}));
  EXPECT_EQ(ok("unlimited:Unlimited"), (L{k_inf, k_inf}));
  EXPECT_EQ(ok("1_000", "rlimit_nproc"), (L{1000, 1000}));  // Python int(), as every integer key
  EXPECT_EQ(ok("", "rlimit_nofile"), std::nullopt);  // keep tend's
  EXPECT_EQ(ok("   "), std::nullopt);
}

TEST(ParseRlimit, ByteValuedKeysTakeTheByteSizeSuffixes) {
  using L = ResourceLimit;
  EXPECT_EQ(ok("64KB", "rlimit_memlock"), (L{64 * 1024, 64 * 1024}));
  EXPECT_EQ(ok("8mb:unlimited", "rlimit_stack"), (L{8 << 20, k_inf}));
  EXPECT_EQ(ok("1GB:2GB", "rlimit_as"), (L{1ULL << 30, 2ULL << 30}));
  EXPECT_EQ(ok("10Gb", "rlimit_fsize"), (L{10ULL << 30, 10ULL << 30}));
  EXPECT_EQ(ok("1KB:1KB", "rlimit_core"), (L{1024, 1024}));
  // Counts and seconds take plain numbers only.
  EXPECT_EQ(error("1KB", "rlimit_nofile"), "not a limit: '1KB' (a whole number, or unlimited)");
  EXPECT_EQ(error("60:2KB", "rlimit_cpu"), "not a limit: '2KB' (a whole number, or unlimited)");
  EXPECT_EQ(error("4K", "rlimit_stack"),
            "not a limit: '4K' (a whole number, optionally followed by KB, MB or GB, or unlimited)");
}

TEST(ParseRlimit, Errors) {
  EXPECT_EQ(error("2048:1024", "rlimit_nofile"), "the soft limit 2048 is above the hard limit 1024");
  EXPECT_EQ(error("unlimited:1MB", "rlimit_as"), "the soft limit unlimited is above the hard limit 1048576");
  EXPECT_EQ(error("-1", "rlimit_nproc"), "a limit cannot be negative: '-1'");
  EXPECT_EQ(error("0:-1KB"), "a limit cannot be negative: '-1KB'");
  EXPECT_EQ(error("lots", "rlimit_nofile"), "not a limit: 'lots' (a whole number, or unlimited)");
  EXPECT_EQ(error("1.5", "rlimit_cpu"), "not a limit: '1.5' (a whole number, or unlimited)");
  EXPECT_EQ(error("infinity"),
            "not a limit: 'infinity' (a whole number, optionally followed by KB, MB or GB, or unlimited)");
  EXPECT_EQ(error("1:2:3"), "not a limit: '1:2:3' (N, SOFT:HARD or unlimited)");
  EXPECT_EQ(error(":5"), "not a limit: '' (a whole number, optionally followed by KB, MB or GB, or unlimited)");
  EXPECT_EQ(error("5:"), "not a limit: '' (a whole number, optionally followed by KB, MB or GB, or unlimited)");
  EXPECT_EQ(error("99999999999999999999", "rlimit_nofile"),
            "not a limit: '99999999999999999999' (a whole number, or unlimited)");
  EXPECT_NE(error("unlimited", "rlimit_nofile").find("open files cannot be unlimited"), std::string::npos);
  EXPECT_NE(error("1024:unlimited", "rlimit_nofile").find("fs.nr_open"), std::string::npos);
}

TEST(FormatRlimit, OneNumberWhenSoftAndHardAgree) {
  EXPECT_EQ(format_rlimit({4096, 4096}), "4096");
  EXPECT_EQ(format_rlimit({4096, 1048576}), "4096:1048576");
  EXPECT_EQ(format_rlimit({k_inf, k_inf}), "unlimited");
  EXPECT_EQ(format_rlimit({0, k_inf}), "0:unlimited");
}

// What tend.getAllConfigInfo shows reads back to the same limit.
TEST(FormatRlimit, ReadsBackToTheSameLimit) {
  const std::pair<ResourceLimit, const char*> limits[] = {
      {{4096, 4096}, "rlimit_nofile"},  {{1024, 1048576}, "rlimit_nofile"}, {{0, 0}, "rlimit_core"},
      {{0, k_inf}, "rlimit_core"},      {{k_inf, k_inf}, "rlimit_stack"},   {{8388608, k_inf}, "rlimit_stack"},
      {{60, 120}, "rlimit_cpu"},        {{k_inf, k_inf}, "rlimit_nproc"},
  };
  for (const auto& [limit, key] : limits) {
    std::string text = format_rlimit(limit);
    EXPECT_EQ(ok(text, key), std::optional<ResourceLimit>(limit)) << key << " = " << text;
  }
}

TEST(RlimitKinds, EveryMemberOnceWithItsResource) {
  EXPECT_EQ(find_rlimit_kind(RLIMIT_NOFILE)->key, "rlimit_nofile");
  EXPECT_EQ(find_rlimit_kind(RLIMIT_AS)->member, &ResourceLimits::as);
  EXPECT_EQ(find_rlimit_kind(RLIMIT_RTPRIO), nullptr);
  ResourceLimits all;
  for (const RlimitKind& k : k_rlimit_kinds) {
    EXPECT_FALSE((all.*k.member).has_value()) << k.key << " shares a member";
    all.*k.member = ResourceLimit{1, 2};
  }
}

// --- through the loader --------------------------------------------------------------------------

class RlimitLoad : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tend-rlimit-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    m_dir = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(m_dir); }

  Result<Config> load(const std::string& body) {
    m_path = m_dir + "/s.conf";
    std::ofstream(m_path, std::ios::trunc) << "[supervisord]\nlogfile=/dev/null\n" << body;
    LoadOptions o;
    o.path = m_path;
    o.environ = {{"HOME", "/root"}};
    o.host_node_name = "node1";
    return load_config(o);
  }

  std::string m_dir;
  std::string m_path;
};

const ProcessConfig& only_process(const Config& c, const std::string& group) {
  for (const GroupConfig& g : c.groups) {
    if (g.name == group) {
      return g.processes.at(0);
    }
  }
  ADD_FAILURE() << "no group " << group;
  static const ProcessConfig none;
  return none;
}

TEST_F(RlimitLoad, EveryProgramLikeSectionCarriesItsLimits) {
  Result<Config> c = load(
      "[DEFAULT]\nrlimit_core=0\n"
      "[program:p]\ncommand=/bin/p\nrlimit_nofile=1024:4096\nrlimit_nproc=50\nrlimit_memlock=64KB\n"
      "rlimit_stack=8MB:unlimited\nrlimit_as=unlimited\nrlimit_cpu=60:120\nrlimit_fsize=1GB\n"
      "[eventlistener:l]\ncommand=/bin/l\nevents=TICK_5\nrlimit_nofile=256\n"
      "[fcgi-program:f]\ncommand=/bin/f\nsocket=unix:///tmp/tend-rlimit-test.sock\nrlimit_core=\n"
      "[program:plain]\ncommand=/bin/q\n");
  ASSERT_TRUE(c.ok()) << c.error();
  const ResourceLimits& p = only_process(*c, "p").rlimits;
  EXPECT_EQ(p.nofile, (ResourceLimit{1024, 4096}));
  EXPECT_EQ(p.nproc, (ResourceLimit{50, 50}));
  EXPECT_EQ(p.core, (ResourceLimit{0, 0}));  // from [DEFAULT]
  EXPECT_EQ(p.memlock, (ResourceLimit{65536, 65536}));
  EXPECT_EQ(p.stack, (ResourceLimit{8 << 20, k_inf}));
  EXPECT_EQ(p.as, (ResourceLimit{k_inf, k_inf}));
  EXPECT_EQ(p.cpu, (ResourceLimit{60, 120}));
  EXPECT_EQ(p.fsize, (ResourceLimit{1ULL << 30, 1ULL << 30}));
  const ResourceLimits& l = only_process(*c, "l").rlimits;
  EXPECT_EQ(l.nofile, (ResourceLimit{256, 256}));
  EXPECT_EQ(l.core, (ResourceLimit{0, 0}));
  const ResourceLimits& f = only_process(*c, "f").rlimits;
  EXPECT_EQ(f.core, std::nullopt);  // an empty value undoes [DEFAULT]'s: tend's limit stays
  EXPECT_EQ(f.nofile, std::nullopt);
  const ResourceLimits& plain = only_process(*c, "plain").rlimits;
  EXPECT_EQ(plain.core, (ResourceLimit{0, 0}));
  EXPECT_EQ(plain.nofile, std::nullopt);
  EXPECT_EQ(plain.as, std::nullopt);
}

TEST_F(RlimitLoad, ErrorsNameFileLineKeyAndSection) {
  struct Case {
    const char* body;
    int line;
    const char* what;
  } cases[] = {
      {"[program:x]\ncommand=c\nrlimit_nofile=4096:1024\n", 5,
       "invalid value for 'rlimit_nofile' in [program:x]: the soft limit 4096 is above the hard limit 1024"},
      {"[program:x]\ncommand=c\n\nrlimit_stack=8XB\n", 6,
       "invalid value for 'rlimit_stack' in [program:x]: not a limit: '8XB' (a whole number, optionally followed by "
       "KB, MB or GB, or unlimited)"},
      {"[program:x]\ncommand=c\nrlimit_nproc=-5\n", 5,
       "invalid value for 'rlimit_nproc' in [program:x]: a limit cannot be negative: '-5'"},
      {"[fcgi-program:x]\ncommand=c\nsocket=tcp://127.0.0.1:1\nrlimit_cpu=ten\n", 6,
       "invalid value for 'rlimit_cpu' in [fcgi-program:x]: not a limit: 'ten' (a whole number, or unlimited)"},
      {"[eventlistener:x]\ncommand=c\nevents=TICK_5\nrlimit_as=unlimited:1GB\n", 6,
       "invalid value for 'rlimit_as' in [eventlistener:x]: the soft limit unlimited is above the hard limit "
       "1073741824"},
      {"[program:x]\ncommand=c\nrlimit_nofile=unlimited\n", 5,
       "invalid value for 'rlimit_nofile' in [program:x]: open files cannot be unlimited"},
  };
  for (const Case& c : cases) {
    Result<Config> r = load(c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    std::string expected = m_path + ":" + std::to_string(c.line) + ": " + c.what;
    EXPECT_EQ(r.error().substr(0, expected.size()), expected) << r.error();
  }
}

TEST_F(RlimitLoad, AMisspelledKeyIsAWarningWithASuggestion) {
  Result<Config> c = load("[program:x]\ncommand=c\nrlimit_nfile=10\n");
  ASSERT_TRUE(c.ok()) << c.error();
  bool found = false;
  for (const ConfigWarning& w : c->warnings) {
    found = found || (w.message.find("rlimit_nfile") != std::string::npos &&
                      w.message.find("rlimit_nofile") != std::string::npos);
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace tend
