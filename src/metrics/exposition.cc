#include "metrics/exposition.h"

#include <cmath>

#include <fmt/compile.h>
#include <fmt/format.h>

namespace tend::metrics {

namespace {

std::string_view type_name(Type t) {
  switch (t) {
    case Type::Counter:
      return "counter";
    case Type::Gauge:
      return "gauge";
    case Type::Histogram:
      return "histogram";
  }
  return "untyped";
}

void append_escaped_help(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

}  // namespace

void append_escaped_label_value(std::string& out, std::string_view value) {
  // Whole runs between the special characters: most values have none.
  size_t run = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '\\' || c == '"' || c == '\n') {
      out.append(value.substr(run, i - run));
      out += c == '\n' ? "\\n" : c == '"' ? "\\\"" : "\\\\";
      run = i + 1;
    }
  }
  out.append(value.substr(run));
}

void append_labels(std::string& out, std::initializer_list<Label> list) {
  bool first = true;
  for (const auto& [name, value] : list) {
    if (!first) {
      out += ',';
    }
    first = false;
    out += name;
    out += "=\"";
    append_escaped_label_value(out, value);
    out += '"';
  }
}

std::string labels(std::initializer_list<Label> list) {
  std::string out;
  append_labels(out, list);
  return out;
}

void append_value(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else if (value == std::trunc(value) && std::fabs(value) < 1e15) {
    fmt::format_int text(static_cast<int64_t>(value));
    out.append(text.data(), text.size());
  } else {
    char text[32];  // the shortest exact form of a double is at most 24 characters
    out.append(text, fmt::format_to(text, FMT_COMPILE("{}"), value));
  }
}

void Exposition::family(std::string_view name, Type type, std::string_view help) {
  m_out += "# HELP ";
  m_out += name;
  m_out += ' ';
  append_escaped_help(m_out, help);
  m_out += "\n# TYPE ";
  m_out += name;
  m_out += ' ';
  m_out += type_name(type);
  m_out += '\n';
}

void Exposition::head(std::string_view name, std::string_view labels, const Label* extra) {
  m_out += name;
  if (!labels.empty() || extra != nullptr) {
    m_out += '{';
    m_out += labels;
    if (extra != nullptr) {
      if (!labels.empty()) {
        m_out += ',';
      }
      m_out += extra->first;
      m_out += "=\"";
      append_escaped_label_value(m_out, extra->second);
      m_out += '"';
    }
    m_out += '}';
  }
  m_out += ' ';
}

void Exposition::sample(std::string_view name, std::string_view labels, double value) {
  head(name, labels, nullptr);
  append_value(m_out, value);
  m_out += '\n';
}

void Exposition::sample(std::string_view name, std::string_view labels, uint64_t value) {
  head(name, labels, nullptr);
  fmt::format_int text(value);
  m_out.append(text.data(), text.size());
  m_out += '\n';
}

void Exposition::sample(std::string_view name, std::string_view labels, Label extra, double value) {
  head(name, labels, &extra);
  append_value(m_out, value);
  m_out += '\n';
}

}  // namespace tend::metrics
