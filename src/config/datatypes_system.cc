// The datatypes that look at the system: paths, users, groups, addresses.
#include <fmt/format.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <vector>

#include "util/passwd.h"
#include "config/datatypes.h"
#include "config/unicode.h"

namespace tend {

namespace {

bool is_dir(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

std::string py_dirname(std::string_view p) {
  size_t i = p.rfind('/');
  std::string head(i == std::string_view::npos ? std::string_view() : p.substr(0, i + 1));
  if (!head.empty() && head.find_first_not_of('/') != std::string::npos) {
    head.erase(head.find_last_not_of('/') + 1);
  }
  return head;
}

std::string py_join(std::string_view a, std::string_view b) {
  if (!b.empty() && b[0] == '/') {
    return std::string(b);
  }
  std::string out(a);
  if (!out.empty() && out.back() != '/') {
    out += '/';
  }
  out += b;
  return out;
}

std::string normalize_path(std::string_view p) {
  std::string path(p);
  if (path.empty() || path[0] != '/') {
    char buf[PATH_MAX];
    std::string cwd = ::getcwd(buf, sizeof buf) != nullptr ? buf : "/";
    path = py_join(cwd, path);
  }
  // posixpath.normpath: POSIX keeps exactly two leading slashes.
  std::string prefix = path.rfind("//", 0) == 0 && path.rfind("///", 0) != 0 ? "//" : "/";
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string comp = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (comp == "..") {
      if (!parts.empty()) {
        parts.pop_back();
      }
    } else if (!comp.empty() && comp != ".") {
      parts.push_back(comp);
    }
    if (slash == std::string::npos) {
      break;
    }
    start = slash + 1;
  }
  std::string out = prefix;
  for (size_t i = 0; i < parts.size(); ++i) {
    out += (i > 0 ? "/" : "") + parts[i];
  }
  return out;
}

std::string expand_user(std::string_view path, const std::string& home) {
  if (path.empty() || path[0] != '~') {
    return std::string(path);
  }
  size_t i = path.find('/', 1);
  if (i == std::string_view::npos) {
    i = path.size();
  }
  std::string userhome;
  if (i == 1) {
    if (!home.empty()) {
      userhome = home;
    } else {
      std::optional<UserEntry> pw = find_user(::getuid());
      if (!pw) {
        return std::string(path);
      }
      userhome = pw->home;
    }
  } else {
    std::string name(path.substr(1, i - 1));
    std::optional<UserEntry> pw = find_user(name);
    if (!pw) {
      return std::string(path);
    }
    userhome = pw->home;
  }
  while (!userhome.empty() && userhome.back() == '/') {
    userhome.pop_back();
  }
  std::string out = userhome + std::string(path.substr(i));
  return out.empty() ? "/" : out;
}

Result<std::string> parse_existing_directory(std::string_view s, const std::string& home) {
  std::string p = expand_user(s, home);
  if (is_dir(p)) {
    return p;
  }
  return make_error(fmt::format("{} is not an existing directory", s));
}

Result<std::string> parse_existing_dirpath(std::string_view s, const std::string& home) {
  std::string p = expand_user(s, home);
  std::string dir = py_dirname(p);
  if (dir.empty() || is_dir(dir)) {
    return p;
  }
  return make_error(fmt::format("The directory named as part of the path {} does not exist", s));
}

Result<LogTarget> parse_logfile(std::string_view s, const std::string& home) {
  std::string v = unicode::lower(s);
  LogTarget t;
  if (v == "none" || v == "off") {
    t.kind = LogTarget::Kind::None;
  } else if (v == "auto") {
    t.kind = LogTarget::Kind::Auto;
  } else if (v == "syslog") {
    t.kind = LogTarget::Kind::Syslog;
  } else {
    Result<std::string> p = parse_existing_dirpath(s, home);
    if (!p) {
      return Error{p.error()};
    }
    t.kind = LogTarget::Kind::Path;
    t.path = normalize_path(*p);
    t.written = std::move(*p);
  }
  return t;
}

Result<uid_t> parse_uid(std::string_view s) {
  if (Result<int64_t> n = parse_integer(s); n) {
    if (*n < 0 || *n > UINT_MAX - 1 || !find_user(static_cast<uid_t>(*n))) {
      return make_error(fmt::format("Invalid user id {}", s));
    }
    return static_cast<uid_t>(*n);
  }
  std::string name(s);
  std::optional<UserEntry> pw = find_user(name);
  if (!pw) {
    return make_error(fmt::format("Invalid user name {}", s));
  }
  return pw->uid;
}

Result<gid_t> parse_gid(std::string_view s) {
  if (Result<int64_t> n = parse_integer(s); n) {
    if (*n < 0 || *n > UINT_MAX - 1 || !find_group(static_cast<gid_t>(*n))) {
      return make_error(fmt::format("Invalid group id {}", s));
    }
    return static_cast<gid_t>(*n);
  }
  std::string name(s);
  std::optional<GroupEntry> gr = find_group(name);
  if (!gr) {
    return make_error(fmt::format("Invalid group name {}", s));
  }
  return gr->gid;
}

Result<std::pair<uid_t, std::optional<gid_t>>> parse_user_group(std::string_view s) {
  size_t colon = s.find(':');
  Result<uid_t> uid = parse_uid(s.substr(0, colon));
  std::optional<gid_t> gid;
  bool ok = uid.ok();
  if (ok && colon != std::string_view::npos) {
    Result<gid_t> g = parse_gid(s.substr(colon + 1));
    ok = g.ok();
    if (ok) {
      gid = *g;
    }
  }
  if (!ok) {
    return make_error(fmt::format("Invalid user:group definition {}", s));
  }
  return std::pair<uid_t, std::optional<gid_t>>{*uid, gid};
}

Result<std::pair<std::string, int>> parse_inet_address(std::string_view s) {
  std::string host;
  std::string_view port_text = s;
  size_t colon = s.rfind(':');
  if (colon != std::string_view::npos) {
    host = unicode::lower(s.substr(0, colon));
    port_text = s.substr(colon + 1);
    if (port_text.empty()) {
      return make_error(fmt::format("no port number specified in {}", unicode::repr(s)));
    }
  }
  Result<int64_t> port = parse_integer(port_text);
  if (!port) {
    return make_error(fmt::format("not a valid port number: {}", unicode::repr(port_text)));
  }
  if (*port < 1) {
    return make_error(fmt::format("{} is below lower bound (1)", *port));
  }
  if (*port > 65535) {
    return make_error(fmt::format("{} is above upper bound (65535)", *port));
  }
  if (host == "*") {
    host.clear();
  }
  return std::pair<std::string, int>{host, static_cast<int>(*port)};
}

}  // namespace tend
