// User and group lookups read straight from /etc/passwd and /etc/group.
//
// tend is linked statically, and a static glibc cannot load NSS modules: with
// "passwd: files systemd" in nsswitch.conf, getpwnam() for an unknown name
// dlopen()s libnss_systemd and crashes. Reading the files ourselves gives the
// answer a container needs (its users live in /etc/passwd) and never crashes.
// Users known only to LDAP/SSSD/systemd must be given as numeric uids.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace tend {

struct UserEntry {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
  std::string shell;
};

struct GroupEntry {
  std::string name;
  gid_t gid = 0;
  std::vector<std::string> members;
};

// The root argument lets tests point at their own files.
std::optional<UserEntry> find_user(const std::string& name, const std::string& root = "");
std::optional<UserEntry> find_user(uid_t uid, const std::string& root = "");
std::optional<GroupEntry> find_group(const std::string& name, const std::string& root = "");
std::optional<GroupEntry> find_group(gid_t gid, const std::string& root = "");
// The primary gid plus every group that lists the user as a member, for setgroups().
std::vector<gid_t> groups_of(const std::string& user, gid_t primary, const std::string& root = "");

}  // namespace tend
