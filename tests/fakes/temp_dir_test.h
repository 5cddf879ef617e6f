// A fixture owning a fresh directory under /tmp for the files a test writes;
// removed after the test.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace tend::test_support {

class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tend-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    m_dir = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(m_dir); }
  // Writes `text` to `name` (relative to the directory, parents made); its path.
  std::string write(const std::string& name, const std::string& text) {
    std::string p = m_dir + "/" + name;
    std::filesystem::create_directories(std::filesystem::path(p).parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }

  std::string m_dir;
};

}  // namespace tend::test_support
