// tend's own terminate handler, linked into the tend executables (and the unit tests) as an
// object, so the linker takes it instead of libstdc++'s verbose handler.
//
// Why: libstdc++'s handler demangles the exception's type name, and the demangler it needs
// (cp-demangle) is 45 KB of a static tend that only ever runs when tend is about to die. This one
// says what ended tend — the exception's (mangled) type and what() for a std::exception — with
// write(2) on fd 2, then aborts as the default handler does.
//
// Contract: called by std::terminate with the terminating exception (if any) current; never
// returns; safe when stderr is closed or a pipe nobody reads (write errors are ignored).
#include <cxxabi.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <typeinfo>

namespace {

void put(const char* s) {
  size_t left = std::strlen(s);
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, s, left);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return;
    }
    s += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace

namespace __gnu_cxx {

void __verbose_terminate_handler() {
  static bool entered = false;
  if (entered) {  // what() itself threw, or a second thread got here
    put("tend: terminating: the terminate handler was entered twice\n");
    std::abort();
  }
  entered = true;
  const std::type_info* type = abi::__cxa_current_exception_type();
  if (type == nullptr) {
    put("tend: terminating: std::terminate called with no exception\n");
    std::abort();
  }
  put("tend: terminating: uncaught exception of type ");
  put(type->name());
  try {
    throw;
  } catch (const std::exception& e) {
    put(": ");
    put(e.what());
  } catch (...) {
  }
  put("\n");
  std::abort();
}

}  // namespace __gnu_cxx
