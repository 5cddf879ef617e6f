// Result handlers: what a pool makes of the body of a listener's RESULT.
// supervisord calls a Python callable named by result_handler=; tend has the
// two that configurations use built in (the loader refuses any other):
//  - supervisor.dispatchers:default_handler: "OK" is accepted, anything else
//    rejected (the event is sent again).
//  - supervisor_stdout:event_handler, the supervisor-stdout plugin: the body is
//    a PROCESS_LOG payload the listener echoed back ("processname:p ...
//    channel:c\n<data>"); each line of the data goes to tend's stdout as
//    "<processname> <channel> | <line>". Like the plugin: the body must be
//    UTF-8, its first line whitespace-separated key:value pairs with a
//    processname and a channel, else the handler fails (the listener becomes
//    UNKNOWN); data that ends in '\n' gives one last line with nothing after
//    the '|'. It never rejects.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "events/listener_protocol.h"

namespace tend::events {

Verdict default_handler(std::string_view body);

// The text supervisor_stdout:event_handler prints for `body` (with its final
// '\n'), or nullopt where the plugin fails.
std::optional<std::string> stdout_handler_text(std::string_view body);

// Writes text to tend's stdout (production: fd 1; tests: a string).
using TextSink = std::function<void(std::string_view)>;

// The handler named by a loaded result_handler ("module:attr", see
// config/keys_program.cc); `out` receives what supervisor_stdout prints.
ListenerProtocol::Handler make_result_handler(std::string_view name, TextSink out);

// Writes all of `text` to fd 1, waiting while it is full (as the main log's
// echo does); errors are dropped.
void write_stdout(std::string_view text);

}  // namespace tend::events
