#include "web/sse.h"

namespace tend::web {

namespace {

void append_line_safe(std::string& out, std::string_view s) {
  for (char c : s) {
    out += (c == '\n' || c == '\r') ? ' ' : c;
  }
}

}  // namespace

void append_sse_event(std::string& out, std::string_view name, std::string_view data) {
  out += "event: ";
  append_line_safe(out, name);
  out += "\ndata: ";
  append_line_safe(out, data);
  out += "\n\n";
}

std::string sse_event(std::string_view name, std::string_view data) {
  std::string out;
  out.reserve(name.size() + data.size() + 16);
  append_sse_event(out, name, data);
  return out;
}

}  // namespace tend::web
