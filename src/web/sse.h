// Server-sent events (the text/event-stream format EventSource reads).
#pragma once

#include <string>
#include <string_view>

namespace tend::web {

// One event: "event: <name>\ndata: <data>\n\n". `data` is meant to be one
// line of JSON; a CR or LF in it (which would end the field early, and let
// the rest be read as fields of its own) is written as a space, so the frame
// can never be split or extended by what it carries.
std::string sse_event(std::string_view name, std::string_view data);
void append_sse_event(std::string& out, std::string_view name, std::string_view data);

}  // namespace tend::web
