#include "log/syslog_sink.h"

#include <syslog.h>

#include <string>

namespace tend {

void PosixSyslog::send(std::string_view line) {
  std::string copy(line);  // syslog(3) needs a NUL-terminated string
  ::syslog(LOG_USER | LOG_INFO, "%s", copy.c_str());
}

SyslogSink& system_syslog() {
  static PosixSyslog sink;
  return sink;
}

void send_lines(SyslogSink& sink, std::string_view prefix, std::string_view text) {
  while (!text.empty() && text.back() == '\n') {
    text.remove_suffix(1);
  }
  std::string msg;
  for (;;) {
    size_t nl = text.find('\n');
    msg.assign(prefix);
    msg.append(text.substr(0, nl));
    sink.send(msg);
    if (nl == std::string_view::npos) {
      break;
    }
    text.remove_prefix(nl + 1);
  }
}

}  // namespace tend
