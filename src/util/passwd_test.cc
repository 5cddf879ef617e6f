#include "util/passwd.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

namespace tend {
namespace {

class PasswdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tend-passwd-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root = tmpl;
    mkdir((root + "/etc").c_str(), 0755);
    std::ofstream(root + "/etc/passwd") << "root:x:0:0:root:/root:/bin/bash\n"
                                           "# comment\n"
                                           "broken line\n"
                                           "app:x:1000:1000:App,,,:/home/app:/bin/sh\n";
    std::ofstream(root + "/etc/group") << "root:x:0:\n"
                                          "app:x:1000:\n"
                                          "audio:x:29:other,app\n"
                                          "video:x:44:other\n";
  }
  void TearDown() override { std::system(("rm -rf " + root).c_str()); }
  std::string root;
};

TEST_F(PasswdTest, FindsUsersByNameAndUid) {
  auto app = find_user("app", root);
  ASSERT_TRUE(app);
  EXPECT_EQ(app->uid, 1000u);
  EXPECT_EQ(app->gid, 1000u);
  EXPECT_EQ(app->home, "/home/app");
  EXPECT_EQ(find_user(uid_t{0}, root)->name, "root");
  EXPECT_FALSE(find_user("nobody-here", root));
  EXPECT_FALSE(find_user(uid_t{4242}, root));
}

TEST_F(PasswdTest, FindsGroupsAndSupplementaryMembership) {
  EXPECT_EQ(find_group("audio", root)->gid, 29u);
  EXPECT_EQ(find_group(gid_t{44}, root)->name, "video");
  EXPECT_EQ(groups_of("app", 1000, root), (std::vector<gid_t>{1000, 29}));
  EXPECT_EQ(groups_of("root", 0, root), (std::vector<gid_t>{0}));
}

TEST_F(PasswdTest, MissingFilesFindNothing) {
  EXPECT_FALSE(find_user("root", root + "/nope"));
  EXPECT_EQ(groups_of("x", 5, root + "/nope"), (std::vector<gid_t>{5}));
}

}  // namespace
}  // namespace tend
