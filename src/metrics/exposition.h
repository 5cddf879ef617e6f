// Writer of Prometheus' text exposition format, version 0.0.4: families of
// samples, each family opened by its # HELP and # TYPE lines and followed by
// all of its samples (the format requires a family's samples together).
//
// Label values are escaped (backslash, double quote, newline), HELP text too
// (backslash, newline). Values: integers as integers, other doubles in the
// shortest form that reads back exactly, and +Inf, -Inf, NaN as spelled by
// the format.
//
// Built for many samples of few label sets: a caller renders a label set
// once (labels()) and reuses the text for every family.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace tend::metrics {

enum class Type { Counter, Gauge, Histogram };

using Label = std::pair<std::string_view, std::string_view>;

// `value` with \ " and newline escaped as the format asks of label values.
void append_escaped_label_value(std::string& out, std::string_view value);

// The inside of a sample's braces, e.g. group="web",name="web_0" (no braces).
std::string labels(std::initializer_list<Label> list);
// The same, appended to `out` (whose capacity a caller may reuse).
void append_labels(std::string& out, std::initializer_list<Label> list);

class Exposition {
 public:
  // Appends to `out`, which the caller owns (and may reuse between scrapes).
  explicit Exposition(std::string& out) : m_out(out) {}

  // Starts a family: "# HELP <name> <help>" and "# TYPE <name> <type>".
  void family(std::string_view name, Type type, std::string_view help);
  // "<name>{<labels>} <value>", or "<name> <value>" with empty labels.
  // `labels` is rendered text (labels()); `extra` one more label appended to
  // it, its value escaped here (e.g. state="RUNNING").
  void sample(std::string_view name, std::string_view labels, double value);
  void sample(std::string_view name, std::string_view labels, uint64_t value);
  void sample(std::string_view name, std::string_view labels, Label extra, double value);

 private:
  void head(std::string_view name, std::string_view labels, const Label* extra);
  std::string& m_out;
};

// How the format spells a value.
void append_value(std::string& out, double value);

}  // namespace tend::metrics
