# How the static release tend is linked and compiled to stay small: under 3 MB stripped, and under
# 2 MiB RSS with one program (bench/run.py, tests/blackbox/test_binary_size.py).
#
# Most of a static tend's RSS is its own text: each page fault on code maps up to 64 KiB around it
# (fault-around), so hot code spread thinly over 2.5 MB of text maps nearly all of it. lld's
# --symbol-ordering-file lays the functions a start, a spawn and a status call run (in the order
# they first run) contiguously at the start of .text; cmake/tend-hot-symbols.txt is that list,
# regenerated with `make hot-symbols` (tools/text_trace.c, tools/hot_symbols.py).
# Only `tend` gets this: tendctl, the tests, ASan and fuzz builds link as before.
# --icf=all folds functions with identical code (lld folds read-only data only when told to):
# 37 KB and 0.15 MiB RSS. Its one contract: nothing in tend compares function addresses for identity
# (no such comparison exists; a table of handlers compares what it stores, never &fn == &other).

set(TEND_HOT_SYMBOLS ${CMAKE_SOURCE_DIR}/cmake/tend-hot-symbols.txt)
set(TEND_EARLY_TEXT ${CMAKE_SOURCE_DIR}/cmake/tend-early-text.ld)

# gcc finds `ld.lld` for -fuse-ld=lld on its own program path; the aarch64 cross g++ does not look
# on PATH for it, so both get a -B directory holding a link to Debian's (multi-target) ld.lld.
find_program(TEND_LD_LLD NAMES ld.lld ld.lld-14)
if(TEND_LD_LLD)
  set(TEND_LLD_DIR ${CMAKE_BINARY_DIR}/lld-bin)
  file(MAKE_DIRECTORY ${TEND_LLD_DIR})
  file(CREATE_LINK ${TEND_LD_LLD} ${TEND_LLD_DIR}/ld.lld SYMBOLIC)
  target_link_options(tend PRIVATE -B${TEND_LLD_DIR} -fuse-ld=lld -Wl,--icf=all
                      -Wl,--symbol-ordering-file=${TEND_HOT_SYMBOLS} -Wl,--no-warn-symbol-ordering
                      -Wl,-T,${TEND_EARLY_TEXT})
  set_property(TARGET tend APPEND PROPERTY LINK_DEPENDS ${TEND_HOT_SYMBOLS} ${TEND_EARLY_TEXT})
else()
  message(WARNING "ld.lld not found (Debian package lld): tend is linked without symbol ordering, "
                  "larger and with more RSS")
endif()

# Code that runs once at start or on a reload (config parsing, cron and time zones, the remarks about
# a config, the RPC answers that describe it) is compiled for size: -Os there costs nothing a user
# can see and takes about 90 KB off the binary.
file(GLOB TEND_COLD_SOURCES CONFIGURE_DEPENDS
     ${CMAKE_SOURCE_DIR}/src/config/*.cc ${CMAKE_SOURCE_DIR}/src/sched/*.cc)
list(FILTER TEND_COLD_SOURCES EXCLUDE REGEX "_test\\.cc$")
# The web console (src/web/) answers a person's clicks: never hot.
file(GLOB TEND_WEB_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/web/*.cc)
list(FILTER TEND_WEB_SOURCES EXCLUDE REGEX "_test\\.cc$")
list(APPEND TEND_COLD_SOURCES ${TEND_WEB_SOURCES} ${TEND_GENERATED_DIR}/web_assets_data.cc)
list(APPEND TEND_COLD_SOURCES ${CMAKE_SOURCE_DIR}/src/daemon/config_remarks.cc
     ${CMAKE_SOURCE_DIR}/src/rpc/config_info.cc)
# Work measured in milliseconds or seconds, not in the cost of its own instructions: readiness
# and health checks (probe intervals, a datagram per notification), event listeners (one event at
# a time, each waiting for the listener's answer), init mode (one child), the daemon's start-up and
# wiring, and the introspection RPCs (system.*, tend.*). -Os there takes about 140 KB off; the hot
# paths (event loop, spawn, reaping, log pipes, HTTP and XML-RPC, the process table, /metrics)
# stay at -O2.
file(GLOB TEND_SLOW_PATH_SOURCES CONFIGURE_DEPENDS
     ${CMAKE_SOURCE_DIR}/src/health/*.cc ${CMAKE_SOURCE_DIR}/src/events/*.cc
     ${CMAKE_SOURCE_DIR}/src/init/*.cc)
list(FILTER TEND_SLOW_PATH_SOURCES EXCLUDE REGEX "_test\\.cc$")
list(APPEND TEND_COLD_SOURCES ${TEND_SLOW_PATH_SOURCES}
     ${CMAKE_SOURCE_DIR}/src/daemon/daemon.cc ${CMAKE_SOURCE_DIR}/src/daemon/control_plane.cc
     ${CMAKE_SOURCE_DIR}/src/daemon/probe_routes.cc
     ${CMAKE_SOURCE_DIR}/src/rpc/system_api.cc ${CMAKE_SOURCE_DIR}/src/rpc/tend_api.cc)
set_source_files_properties(${TEND_COLD_SOURCES} TARGET_DIRECTORY tend_core PROPERTIES COMPILE_OPTIONS -Os)
