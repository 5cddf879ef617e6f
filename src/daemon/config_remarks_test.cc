#include "daemon/config_remarks.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/loader.h"

namespace tend {
namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

class ConfigRemarksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tend-remarks-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    m_dir = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(m_dir); }

  // The main log after loading `text` (as s.conf) and logging its warnings.
  std::string logged(const std::string& text) {
    std::string conf = m_dir + "/s.conf";
    std::ofstream(conf) << text;
    LoadOptions o;
    o.path = conf;
    o.environ = {{"HOME", "/root"}};
    Result<Config> cfg = load_config(o);
    EXPECT_TRUE(cfg.ok()) << cfg.error();
    Logger log;
    LoggerOptions lo;
    lo.logfile = m_dir + "/main.log";
    EXPECT_TRUE(log.open(lo).ok());
    log_config_warnings(cfg.ok() ? *cfg : Config{}, log);
    log.close();
    std::stringstream ss;
    ss << std::ifstream(lo.logfile).rdbuf();
    return ss.str();
  }

  std::string m_dir;
};

TEST_F(ConfigRemarksTest, TendsOwnRemarksNameTheirLineOnce) {
  std::string log = logged(
      "[supervisord]\nlogfile=/dev/null\n"
      "[eventlistener:x]\ncommand=cat\nevents=TICK_5\nresult_handler = supervisor_stdout:event_handler\n"
      "stopwaitsec=3\nstdout_logfile_maxbyte=1\n");
  std::string conf = m_dir + "/s.conf";
  EXPECT_EQ(count(log, conf + ":7: unknown key 'stopwaitsec'"), 1u) << log;
  EXPECT_EQ(count(log, conf + ":8: unknown key 'stdout_logfile_maxbyte'"), 1u) << log;
  EXPECT_EQ(count(log, conf + ":"), 2u) << log;
}

// supervisord's own wording carries no location, and each remark is logged once.
TEST_F(ConfigRemarksTest, SupervisordsRemarksKeepItsWording) {
  std::ofstream(m_dir + "/extra.conf") << "[program:q]\ncommand=q\n";
  std::string log = logged(
      "[supervisord]\nlogfile=/dev/null\n[include]\nfiles=extra.conf none/*.conf\n"
      "[program:p]\ncommand=p\nstdout_logfile=syslog\n");
  EXPECT_EQ(count(log, " INFO Included extra file \"" + m_dir + "/extra.conf\" during parsing\n"), 1u) << log;
  EXPECT_EQ(count(log, " WARN No file matches via include \"" + m_dir + "/none/*.conf\"\n"), 1u) << log;
  EXPECT_EQ(count(log, " WARN For [program:p], stdout_logfile=syslog but this is deprecated"), 1u) << log;
  EXPECT_EQ(count(log, ".conf:"), 0u) << log;
}

}  // namespace
}  // namespace tend
