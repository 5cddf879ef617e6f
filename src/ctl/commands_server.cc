// avail, reread, update, add, remove, reload, shutdown, version, open: the
// commands about the server and its configuration. Like supervisorctl, only
// `version` checks the API version first.
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "ctl/controller.h"

namespace tend::ctl {

namespace {

std::vector<std::string> string_list(const rpc::Value& v) {
  std::vector<std::string> out;
  if (v.is_array()) {
    for (const rpc::Value& item : v.as_array()) {
      if (item.is_string()) {
        out.push_back(item.as_string());
      }
    }
  }
  return out;
}

// reloadConfig returns [[added, changed, removed]].
bool parse_changes(const rpc::Value& v, std::vector<std::string>* added,
                   std::vector<std::string>* changed, std::vector<std::string>* removed) {
  if (!v.is_array() || v.as_array().empty() || !v.as_array()[0].is_array() ||
      v.as_array()[0].as_array().size() != 3) {
    return false;
  }
  const rpc::Array& triple = v.as_array()[0].as_array();
  *added = string_list(triple[0]);
  *changed = string_list(triple[1]);
  *removed = string_list(triple[2]);
  return true;
}

}  // namespace

void Controller::do_avail(const std::string& arg) {
  if (!arg.empty()) {
    usage_error("Error: avail accepts no arguments", "avail", k_exit_generic);
    return;
  }
  Reply r = call("supervisor.getAllConfigInfo");
  if (r.is_fault(fault::k_shutdown_state)) {
    m_exit = k_exit_generic;
    output("ERROR: supervisor shutting down");
    return;
  }
  if (!r.ok() || !r.value().is_array()) {
    raise(r, "supervisor.getAllConfigInfo");
    return;
  }
  for (const rpc::Value& info : r.value().as_array()) {
    output(avail_line(info));
  }
}

void Controller::do_reread(const std::string& arg) {
  if (!arg.empty()) {
    usage_error("Error: reread accepts no arguments", "reread", k_exit_generic);
    return;
  }
  Reply r = call("supervisor.reloadConfig");
  if (r.is_fault(fault::k_shutdown_state)) {
    m_exit = k_exit_generic;
    output("ERROR: supervisor shutting down");
    return;
  }
  if (r.is_fault(fault::k_cant_reread)) {
    m_exit = k_exit_generic;
    output("ERROR: " + r.fault().string);
    return;
  }
  std::vector<std::string> added, changed, removed;
  if (!r.ok() || !parse_changes(r.value(), &added, &changed, &removed)) {
    raise(r, "supervisor.reloadConfig");
    return;
  }
  for (const std::string& line : reread_lines(added, changed, removed)) {
    output(line);
  }
}

void Controller::do_update(const std::string& arg) {
  Reply r = call("supervisor.reloadConfig");
  if (r.is_fault(fault::k_shutdown_state)) {
    m_exit = k_exit_generic;
    output("ERROR: already shutting down");
    return;
  }
  std::vector<std::string> added, changed, removed;
  if (!r.ok() || !parse_changes(r.value(), &added, &changed, &removed)) {
    raise(r, "supervisor.reloadConfig");
    return;
  }
  std::vector<std::string> words = split_words(arg);
  std::set<std::string> wanted(words.begin(), words.end());
  if (wanted.count("all") != 0) {
    wanted.clear();
  }
  if (!wanted.empty()) {
    Reply info = call("supervisor.getAllProcessInfo");
    if (!info.ok() || !info.value().is_array()) {
      raise(info, "supervisor.getAllProcessInfo");
      return;
    }
    std::set<std::string> groups;
    for (const std::string& name : added) {
      groups.insert(name.substr(0, name.find(':')));
    }
    for (const rpc::Value& p : info.value().as_array()) {
      groups.insert(member_string(p, "group"));
    }
    for (const std::string& g : wanted) {
      if (groups.count(g) == 0) {
        output("ERROR: no such group: " + g);
        m_exit = k_exit_generic;
      }
    }
  }
  // tend reports "group:process" when only some processes of a group
  // changed; naming the group selects them.
  auto selected = [&wanted](const std::string& name) {
    return wanted.empty() || wanted.count(name) != 0 || wanted.count(name.substr(0, name.find(':'))) != 0;
  };
  for (const std::string& g : removed) {
    if (!selected(g)) {
      continue;
    }
    Reply stop = call("supervisor.stopProcessGroup", {rpc::Value(g)});
    if (!stop.ok() || !stop.value().is_array()) {
      raise(stop, "supervisor.stopProcessGroup");
      return;
    }
    output(g + ": stopped");
    bool failed = std::any_of(stop.value().as_array().begin(), stop.value().as_array().end(),
                              [](const rpc::Value& res) {
                                return member_int(res, "status") == fault::k_failed;
                              });
    if (failed) {
      output(g + ": has problems; not removing");
      m_exit = k_exit_generic;
      continue;
    }
    Reply rm = call("supervisor.removeProcessGroup", {rpc::Value(g)});
    if (!rm.ok()) {
      raise(rm, "supervisor.removeProcessGroup");
      return;
    }
    output(g + ": removed process group");
  }
  for (const std::string& g : changed) {
    if (!selected(g)) {
      continue;
    }
    Reply stop = call("supervisor.stopProcessGroup", {rpc::Value(g)});
    if (!stop.ok()) {
      raise(stop, "supervisor.stopProcessGroup");
      return;
    }
    output(g + ": stopped");
    Reply rm = call("supervisor.removeProcessGroup", {rpc::Value(g)});
    if (!rm.ok()) {
      raise(rm, "supervisor.removeProcessGroup");
      return;
    }
    Reply add = call("supervisor.addProcessGroup", {rpc::Value(g)});
    if (!add.ok()) {
      raise(add, "supervisor.addProcessGroup");
      return;
    }
    output(g + ": updated process group");
  }
  for (const std::string& g : added) {
    if (!selected(g)) {
      continue;
    }
    Reply add = call("supervisor.addProcessGroup", {rpc::Value(g)});
    if (!add.ok()) {
      raise(add, "supervisor.addProcessGroup");
      return;
    }
    output(g + ": added process group");
  }
}

void Controller::do_add(const std::string& arg) {
  for (const std::string& name : split_words(arg)) {
    Reply r = call("supervisor.addProcessGroup", {rpc::Value(name)});
    if (r.is_fault(fault::k_shutdown_state)) {
      output("ERROR: shutting down");
      m_exit = k_exit_generic;
    } else if (r.is_fault(fault::k_already_added)) {
      output("ERROR: process group already active");
    } else if (r.is_fault(fault::k_bad_name)) {
      output("ERROR: no such process/group: " + name);
      m_exit = k_exit_generic;
    } else if (!r.ok()) {
      raise(r, "supervisor.addProcessGroup");
      return;
    } else {
      output(name + ": added process group");
    }
  }
}

void Controller::do_remove(const std::string& arg) {
  for (const std::string& name : split_words(arg)) {
    Reply r = call("supervisor.removeProcessGroup", {rpc::Value(name)});
    if (r.is_fault(fault::k_still_running)) {
      m_exit = k_exit_generic;
      output("ERROR: process/group still running: " + name);
    } else if (r.is_fault(fault::k_bad_name)) {
      m_exit = k_exit_generic;
      output("ERROR: no such process/group: " + name);
    } else if (!r.ok()) {
      raise(r, "supervisor.removeProcessGroup");
      return;
    } else {
      output(name + ": removed process group");
    }
  }
}

void Controller::do_reload(const std::string& arg) {
  if (!arg.empty()) {
    usage_error("Error: reload accepts no arguments", "reload", k_exit_generic);
    return;
  }
  if (is_interactive() && !confirm("Really restart the server at " + m_settings.serverurl + "? y/N ")) {
    return;
  }
  Reply r = call("supervisor.restart");
  if (r.is_fault(fault::k_shutdown_state)) {
    m_exit = k_exit_generic;
    output("ERROR: already shutting down");
    return;
  }
  if (!r.ok()) {
    raise(r, "supervisor.restart");
    return;
  }
  output("Restarted supervisord");
}

void Controller::do_shutdown(const std::string& arg) {
  if (!arg.empty()) {
    usage_error("Error: shutdown accepts no arguments", "shutdown", k_exit_generic);
    return;
  }
  if (is_interactive() &&
      !confirm("Really shut down the server at " + m_settings.serverurl + "? y/N ")) {
    return;
  }
  Reply r = call("supervisor.shutdown");
  if (r.is_fault(fault::k_shutdown_state)) {
    // supervisorctl leaves the exit status alone here.
    output("ERROR: already shutting down");
    return;
  }
  if (r.is_error() && r.error().kind == TransportError::Kind::Connect) {
    int err = r.error().sys_errno;
    if (err == ECONNREFUSED || err == ENOENT) {
      m_exit = k_exit_generic;
      output(fmt::format("ERROR: {} {} (already shut down?)", m_settings.serverurl,
                         err == ECONNREFUSED ? "refused connection" : "no such file"));
      return;
    }
  }
  if (!r.ok()) {
    raise(r, "supervisor.shutdown");
    return;
  }
  output("Shut down");
}

void Controller::do_version(const std::string& arg) {
  if (!arg.empty()) {
    usage_error("Error: version accepts no arguments", "version", k_exit_generic);
    return;
  }
  if (upcheck() != Up::Ok) {
    return;
  }
  Reply r = call("supervisor.getSupervisorVersion");
  if (!r.ok() || !r.value().is_string()) {
    raise(r, "supervisor.getSupervisorVersion");
    return;
  }
  output(r.value().as_string());
}

void Controller::do_open(const std::string& arg) {
  if (split_words(arg).empty()) {
    // tend: with no URL (an error for supervisorctl), the console's address.
    if (std::optional<std::string> page = console_url(m_settings)) {
      output(*page);
      return;
    }
    output(fmt::format("error: {} is a UNIX socket, which a browser cannot open; to serve the console "
                       "over HTTP, add an [inet_http_server] section (port = 127.0.0.1:9001) to the "
                       "configuration and restart tend",
                       m_settings.serverurl));
    m_exit = k_exit_generic;
    return;
  }
  std::string url = arg;
  std::string scheme = url.substr(0, url.find(':'));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (url.find(':') == std::string::npos || (scheme != "unix" && scheme != "http")) {
    output("ERROR: url must be http:// or unix://");
    m_exit = k_exit_generic;
    return;
  }
  m_settings.serverurl = url;
  m_settings.inet_console_url.reset();  // the config file's server is not this one
  if (!m_injected_backend) {
    connect();
  }
  int saved = m_exit;
  do_status("");
  m_exit = saved;
}

}  // namespace tend::ctl
