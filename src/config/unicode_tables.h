// Generated Unicode data used by config/unicode.cc.
#pragma once

namespace tend::unicode_tables {

struct LowerRange {
  int first;
  int last;
  int stride;
  int delta;
};

struct CodeRange {
  int first;
  int last;
};

extern const LowerRange k_lower_ranges[];
extern const int k_lower_range_count;
extern const CodeRange k_cased[];
extern const int k_cased_count;
extern const CodeRange k_case_ignorable[];
extern const int k_case_ignorable_count;

}  // namespace tend::unicode_tables
