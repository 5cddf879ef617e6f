#include "config/model.h"

namespace tend {

bool ProcessConfig::operator==(const ProcessConfig& o) const {
  // Every field except pos: moving a section within the file changes nothing.
  return name == o.name && group == o.group && program == o.program && command == o.command &&
         process_num == o.process_num && priority == o.priority && autostart == o.autostart &&
         autorestart == o.autorestart && startsecs == o.startsecs && startretries == o.startretries &&
         exitcodes == o.exitcodes && stopsignal == o.stopsignal && stopwaitsecs == o.stopwaitsecs &&
         stopasgroup == o.stopasgroup && killasgroup == o.killasgroup && uid == o.uid && user == o.user &&
         directory == o.directory && umask == o.umask && redirect_stderr == o.redirect_stderr &&
         stdout_ch == o.stdout_ch && stderr_ch == o.stderr_ch && environment == o.environment &&
         serverurl == o.serverurl && events == o.events && buffer_size == o.buffer_size;
}

}  // namespace tend
