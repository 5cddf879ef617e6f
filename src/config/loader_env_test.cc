// environment_file= (and envFiles=) through the whole loader: where the
// paths lead, the errors (config file:line of the key, then the env file's
// own line), and the precedence of the four configured layers.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/loader.h"
#include "fakes/temp_dir_test.h"

namespace tend {
namespace {

class LoaderEnv : public test_support::TempDirTest {
 protected:
  Result<Config> load(const std::string& conf_text) {
    LoadOptions o;
    o.path = write("s.conf", conf_text);
    o.environ = {{"HOME", m_dir + "/home"}};
    o.host_node_name = "node1";
    return load_config(o);
  }

  static const ProcessConfig& process(const Config& c, const std::string& name) {
    for (const GroupConfig& g : c.groups) {
      for (const ProcessConfig& p : g.processes) {
        if (p.name == name) {
          return p;
        }
      }
    }
    ADD_FAILURE() << "no process " << name;
    static const ProcessConfig none;
    return none;
  }

};

const char* const k_sd = "[supervisord]\nlogfile=/dev/null\n";

TEST_F(LoaderEnv, ProgramFilesRelativeToTheConfigFileLaterWinning) {
  write("a.env", "A=from-a\nB=from-a\n");
  write("env/b.env", "B=from-b\n");
  Result<Config> c = load(std::string(k_sd) +
                          "[program:p]\ncommand=/bin/p\nenvironment_file = a.env, %(here)s/env/b.env, -gone.env\n");
  ASSERT_TRUE(c.ok()) << c.error();
  const ProcessConfig& p = process(*c, "p");
  EXPECT_EQ(p.environment_file, (EnvList{{"A", "from-a"}, {"B", "from-b"}}));
  EXPECT_TRUE(p.environment.empty());
}

TEST_F(LoaderEnv, PerProcessPathsAndEveryProgramLikeSection) {
  write("w0.env", "N=zero\n");
  write("w1.env", "N=one\n");
  write("home/l.env", "L=listener\n");
  write("f.env", "F=fcgi\n");
  Result<Config> c = load(std::string(k_sd) +
                          "[program:w]\ncommand=/bin/w\nnumprocs=2\nprocess_name=w%(process_num)d\n"
                          "environment_file=w%(process_num)d.env\n"
                          "[eventlistener:l]\ncommand=/bin/l\nevents=TICK_5\nenvironment_file=~/l.env\n"
                          "[fcgi-program:f]\ncommand=/bin/f\nsocket=unix://" +
                          m_dir + "/f.sock\nenvironment_file=f.env\n");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(process(*c, "w0").environment_file, (EnvList{{"N", "zero"}}));
  EXPECT_EQ(process(*c, "w1").environment_file, (EnvList{{"N", "one"}}));
  EXPECT_EQ(process(*c, "l").environment_file, (EnvList{{"L", "listener"}}));
  EXPECT_EQ(process(*c, "f").environment_file, (EnvList{{"F", "fcgi"}}));
}

TEST_F(LoaderEnv, AnIncludedFileResolvesAgainstItsOwnDirectory) {
  write("conf.d/vars.env", "V=included\n");
  write("conf.d/p.conf", "[program:p]\ncommand=/bin/p\nenvironment_file=vars.env\n");
  Result<Config> c = load(std::string(k_sd) + "[include]\nfiles=conf.d/*.conf\n");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(process(*c, "p").environment_file, (EnvList{{"V", "included"}}));
}

TEST_F(LoaderEnv, SupervisordFilesAreReadAndAreNoExpansionNames) {
  write("g.env", "G=global\n");
  Result<Config> c = load(
      "[supervisord]\nlogfile=/dev/null\nenvironment_file=g.env\n"
      "[program:p]\ncommand=/bin/p\n");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->supervisord.environment_file, (EnvList{{"G", "global"}}));
  // Unlike environment=, a file's variables are not %(ENV_x)s names.
  c = load("[supervisord]\nlogfile=/dev/null\nenvironment_file=g.env\n[program:p]\ncommand=/bin/p %(ENV_G)s\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().find("ENV_G"), std::string::npos) << c.error();
}

TEST_F(LoaderEnv, OchinchinasEnvFilesIsTheSameKey) {
  write("a.env", "A=1\n");
  Result<Config> c =
      load("[supervisord]\nlogfile=/dev/null\nenvFiles=a.env\n[program:p]\ncommand=/bin/p\nenvFiles=a.env\n");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->supervisord.environment_file, (EnvList{{"A", "1"}}));
  EXPECT_EQ(process(*c, "p").environment_file, (EnvList{{"A", "1"}}));
  for (const ConfigWarning& w : c->warnings) {
    EXPECT_EQ(w.message.find("unknown key"), std::string::npos) << w.message;
  }
  c = load(std::string(k_sd) + "[program:p]\ncommand=/bin/p\nenvironment_file=a.env\nenvFiles=a.env\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error(), m_dir +
                           "/s.conf:6: [program:p] sets both environment_file and envFiles, which are the same "
                           "key (envFiles is ochinchina's spelling): keep one");
}

TEST_F(LoaderEnv, ErrorsNameTheKeyAndTheEnvFileLine) {
  write("bad.env", "# fine\nA=1\nB='never closed\n");
  struct Case {
    const char* text;
    std::string error;
  };
  const Case cases[] = {
      {"[program:p]\ncommand=/bin/p\nenvironment_file=missing.env\n",
       "s.conf:5: invalid value for 'environment_file' in [program:p]: unable to read " + m_dir +
           "/missing.env: No such file or directory"},
      {"[program:p]\ncommand=/bin/p\n\nenvironment_file=-bad.env\n",
       "s.conf:6: invalid value for 'environment_file' in [program:p]: " + m_dir +
           "/bad.env:3: unterminated single-quoted value"},
      {"environment_file=bad.env\n[program:p]\ncommand=/bin/p\n",
       "s.conf:3: invalid value for 'environment_file' in [supervisord]: " + m_dir +
           "/bad.env:3: unterminated single-quoted value"},
      {"[eventlistener:l]\ncommand=/bin/l\nevents=TICK_5\nenvfiles=missing.env\n",
       "s.conf:6: invalid value for 'envfiles' in [eventlistener:l]: unable to read " + m_dir +
           "/missing.env: No such file or directory"},
  };
  for (const Case& k : cases) {
    Result<Config> c = load(std::string(k_sd) + k.text);
    ASSERT_FALSE(c.ok()) << k.text;
    EXPECT_EQ(c.error(), m_dir + "/" + k.error);
  }
}

TEST_F(LoaderEnv, AChangedFileChangesTheProcessConfig) {
  write("a.env", "A=1\n");
  std::string text = std::string(k_sd) + "[program:p]\ncommand=/bin/p\nenvironment_file=a.env\n";
  Result<Config> before = load(text);
  ASSERT_TRUE(before.ok()) << before.error();
  Result<Config> same = load(text);
  ASSERT_TRUE(same.ok()) << same.error();
  EXPECT_TRUE(process(*before, "p") == process(*same, "p"));
  write("a.env", "A=2\n");
  Result<Config> after = load(text);
  ASSERT_TRUE(after.ok()) << after.error();
  EXPECT_FALSE(process(*before, "p") == process(*after, "p"));
}

TEST_F(LoaderEnv, FourLayersLowestFirst) {
  write("g.env", "K1=g-file\nK2=g-file\nK3=g-file\nK4=g-file\n");
  write("p.env", "K3=p-file\nK4=p-file\nPF=only-p-file\n");
  Result<Config> c = load(
      "[supervisord]\nlogfile=/dev/null\nenvironment_file=g.env\n"
      "environment=K2=g-env,K3=g-env,K4=g-env\n"
      "[program:p]\ncommand=/bin/p\nenvironment_file=p.env\nenvironment=K4=p-env\n");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(configured_environment(c->supervisord, process(*c, "p")),
            (EnvList{{"K1", "g-file"}, {"K2", "g-env"}, {"K3", "p-file"}, {"K4", "p-env"}, {"PF", "only-p-file"}}));
}

}  // namespace
}  // namespace tend
