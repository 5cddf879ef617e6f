#include "config/sample_config.h"

namespace tend {

// Contract (tests/blackbox/test_sample_config.py): as printed, both tend and supervisord 4.2.5 load
// it and serve supervisorctl on its socket; with every ';key=' line of a section uncommented, tend
// still loads it (each key named here exists), and supervisord too when the lines marked tend's
// are left out. The paths are supervisord's defaults, so scripts that expect them keep working.
std::string_view sample_config() {
  return R"(; A starting configuration for tend, in supervisord's format: supervisord 4.2.5 reads it too.
; Lines that begin with ';' are comments. Remove the ';' in front of a setting to use it; a value
; shown commented out is what applies when the line is absent. Keys marked "tend:" are tend's
; additions (supervisord ignores or refuses them). The full reference: tend.conf(5).
; Save it with:  tend --sample-config > /etc/supervisord.conf

[unix_http_server]
file=/tmp/supervisor.sock    ; the control socket supervisorctl and tendctl talk to
;chmod=0700                  ; its permissions
;chown=nobody:nogroup        ; its owner and group
;username=admin              ; ask clients for these credentials (give both or neither)
;password=change-me          ; in clear, or {SHA}<40 hex digits of the SHA-1>

; A TCP control port, which also serves the web console and /metrics. Off unless the section is here.
; Without credentials tend answers loopback clients only.
;[inet_http_server]
;port=127.0.0.1:9001         ; host:port, or *:port for every address
;username=admin
;password=change-me

[supervisord]
logfile=/tmp/supervisord.log ; tend's own log; "syslog" or /dev/stdout also work
;logfile_maxbytes=50MB       ; rotate at this size (0: never)
;logfile_backups=10          ; rotated files to keep
;loglevel=info               ; critical, error, warn, info, debug, trace, blather
pidfile=/tmp/supervisord.pid
;nodaemon=false              ; true: stay in the foreground (as PID 1 tend never detaches)
;silent=false                ; with nodaemon: do not copy the log to stdout
;minfds=1024                 ; refuse to start with fewer file descriptors available
;minprocs=200                ; refuse to start with fewer processes available
;umask=022
;user=root                   ; switch to this user once started
;identifier=supervisor       ; the name XML-RPC reports
;directory=/tmp              ; change to it when detaching
;nocleanup=false             ; true: keep old AUTO child logs at start
;childlogdir=/tmp            ; where AUTO child logs go
;strip_ansi=false            ; remove ANSI escapes from child logs
;environment=KEY="value"     ; added to every program's environment
;environment_file=-/etc/tend.env ; tend: dotenv files for every program ('-': may be missing)
;shutdown_grace=5            ; tend: seconds between the final sweep's TERM and KILL
;exit_when=never             ; tend: any_exited or all_exited end tend
;log_format=text             ; tend: json for one JSON object per line

; The XML-RPC interface supervisorctl needs; keep it.
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix:///tmp/supervisor.sock ; the socket above; or http://127.0.0.1:9001
;username=admin              ; the server's credentials, if it has any
;password=change-me
;prompt=supervisor
;history_file=~/.sc_history

; A program. Copy the block once per program and remove the ';' of what you need.
;[program:web]
;command=/usr/bin/web-server --port 8080 ; no shell: use /bin/sh -c '...' for pipes and globs
;process_name=%(program_name)s ; with numprocs > 1 it must contain %(process_num)s
;numprocs=1
;directory=/srv/web          ; working directory
;umask=022
;priority=999                ; lower starts first and stops last
;autostart=true
;startsecs=1                 ; seconds it must stay up to count as started
;startretries=3              ; failed starts before FATAL
;autorestart=unexpected      ; true, false, or unexpected (exit code not in exitcodes)
;exitcodes=0
;stopsignal=TERM             ; TERM, HUP, INT, QUIT, KILL, USR1, USR2
;stopwaitsecs=10             ; then KILL
;stopasgroup=false           ; signal its whole process group
;killasgroup=false
;user=www-data
;redirect_stderr=false       ; stderr into the stdout log
;stdout_logfile=AUTO         ; AUTO, NONE, a path, /dev/stdout
;stdout_logfile_maxbytes=50MB
;stdout_logfile_backups=10
;stdout_capture_maxbytes=0
;stdout_events_enabled=false
;stdout_syslog=false
;stderr_logfile=AUTO
;stderr_logfile_maxbytes=50MB
;stderr_logfile_backups=10
;stderr_capture_maxbytes=0
;stderr_events_enabled=false
;stderr_syslog=false
;environment=PORT="8080"
;serverurl=AUTO              ; what supervisorctl run by the program uses
;depends_on=db               ; tend: start after db is ready, stop before it
;ready=tcp:127.0.0.1:8080    ; tend: when it counts as ready (running, notify, fd:N, tcp:, http://, exec:, file:)
;ready_timeout=60            ; tend: seconds it may take to become ready
;healthcheck=http://127.0.0.1:8080/health ; tend: checked every healthcheck_interval seconds
;healthcheck_interval=10     ; tend: seconds between checks
;critical=false              ; tend: true ends tend with its exit status when it ends for good
;backoff_max=0               ; tend: waits between failed starts grow 1, 2, 4... s up to this
;environment_file=-/srv/web/.env ; tend: dotenv files ('-': may be missing)
;rlimit_nofile=65536         ; tend: its open-files limit

; A program notified of events on its stdin (supervisor.childutils speaks the protocol).
;[eventlistener:watch]
;command=/usr/local/bin/watch-events
;events=PROCESS_STATE        ; event types it receives
;buffer_size=10              ; events queued while it is busy
;result_handler=supervisor.dispatchers:default_handler

; Programs managed together: supervisorctl start grp:*
;[group:grp]
;programs=web,db
;priority=999

; More files, relative to this one. Last, as their sections follow this file's.
;[include]
;files=conf.d/*.conf
)";
}

}  // namespace tend
