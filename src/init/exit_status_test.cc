#include "init/exit_status.h"

#include <errno.h>
#include <gtest/gtest.h>

namespace tend::init {
namespace {

TEST(InitExitStatus, RemapOnlyListedCodes) {
  std::set<int> remap{143, 0, 7};
  EXPECT_EQ(apply_remap(143, remap), 0);
  EXPECT_EQ(apply_remap(7, remap), 0);
  EXPECT_EQ(apply_remap(8, remap), 8);
  EXPECT_EQ(apply_remap(130, {}), 130);
}

TEST(InitExitStatus, ExecFailureCodes) {
  EXPECT_EQ(exec_failure_code(ENOENT), 127);
  EXPECT_EQ(exec_failure_code(ENOTDIR), 127);
  EXPECT_EQ(exec_failure_code(EACCES), 126);
  EXPECT_EQ(exec_failure_code(ENOEXEC), 126);
  EXPECT_EQ(exec_failure_code(EISDIR), 126);
}

}  // namespace
}  // namespace tend::init
