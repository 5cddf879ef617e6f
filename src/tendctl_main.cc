#include <fmt/format.h>
int main() {
  fmt::print(stderr, "tend: under construction\n");
  return 1;
}
