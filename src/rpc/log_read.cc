#include "rpc/log_read.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "util/fd.h"
#include "util/utf8.h"

namespace tend::rpc {

namespace {

// Keeps offset arithmetic far from int64 overflow; no log is this large.
constexpr int64_t k_limit = int64_t{1} << 60;

int64_t clamp(int64_t v) { return std::clamp(v, -k_limit, k_limit); }

enum class Kind { Regular, Empty, Bad };

// Opens for reading without blocking. Character devices (/dev/null, a tty
// behind /dev/stdout) count as empty: reading them could block or steal input.
Fd open_log(const std::string& path, Kind* kind, int64_t* size) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  *kind = Kind::Bad;
  *size = 0;
  struct stat st {};
  if (!fd || fstat(fd.get(), &st) != 0) {
    return Fd();
  }
  if (S_ISREG(st.st_mode)) {
    *kind = Kind::Regular;
    *size = st.st_size;
  } else if (S_ISCHR(st.st_mode)) {
    *kind = Kind::Empty;
  }
  return fd;
}

// Reads up to `count` bytes at `pos` (fewer at end of file). False on error.
bool read_at(int fd, int64_t pos, int64_t count, std::string* out) {
  out->clear();
  if (count <= 0) {
    return true;
  }
  out->resize(static_cast<size_t>(count));
  size_t got = 0;
  while (got < out->size()) {
    ssize_t n = pread(fd, out->data() + got, out->size() - got, static_cast<off_t>(pos + static_cast<int64_t>(got)));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return false;
    }
    if (n == 0) {
      break;
    }
    got += static_cast<size_t>(n);
  }
  out->resize(got);
  return true;
}

void append_replacement(std::string& out) { out += "\xEF\xBF\xBD"; }

}  // namespace

ReadResult read_log_range(const std::string& path, int64_t offset, int64_t length) {
  ReadResult r;
  offset = clamp(offset);
  length = clamp(length);
  Kind kind = Kind::Bad;
  int64_t size = 0;
  Fd fd = open_log(path, &kind, &size);
  if (kind == Kind::Bad) {
    return r;  // Failed
  }
  if ((offset < 0 && length != 0) || (offset >= 0 && length < 0)) {
    r.error = ReadError::BadArguments;
    return r;
  }
  r.ok = true;
  if (kind == Kind::Empty) {
    return r;
  }
  int64_t pos = offset;
  int64_t count = length;
  if (offset < 0) {
    pos = std::max<int64_t>(0, size - (-offset));
    count = -offset;
  } else if (length == 0) {
    count = size - offset;
  }
  count = std::min(count, size - pos);
  if (!read_at(fd.get(), pos, count, &r.data)) {
    r.ok = false;
    r.error = ReadError::Failed;
    r.data.clear();
  }
  return r;
}

TailResult tail_log(const std::string& path, int64_t offset, int64_t length) {
  TailResult r;
  offset = clamp(offset);
  length = clamp(length);
  r.offset = offset;
  Kind kind = Kind::Bad;
  int64_t size = 0;
  Fd fd = open_log(path, &kind, &size);
  if (kind == Kind::Bad) {
    return r;
  }
  if (size > offset + length) {
    r.overflow = true;
    offset = size - 1;
  }
  if (offset + length > size) {
    if (offset > size - 1) {
      length = 0;
    }
    offset = size - length;
  }
  offset = std::max<int64_t>(offset, 0);
  length = std::max<int64_t>(length, 0);
  if (kind == Kind::Regular && length > 0 && !read_at(fd.get(), offset, length, &r.data)) {
    r.data.clear();
    r.offset = offset;
    r.overflow = false;
    return r;
  }
  r.offset = size;
  return r;
}

std::string sanitize_for_xml(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
        append_replacement(out);
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    size_t n = utf8_sequence_length(s.substr(i));
    if (n == 0) {
      append_replacement(out);
      i += utf8_invalid_length(s.substr(i));
      continue;
    }
    // U+FFFE and U+FFFF (EF BF BE / EF BF BF) are not XML characters.
    if (n == 3 && c == 0xEF && static_cast<unsigned char>(s[i + 1]) == 0xBF &&
        static_cast<unsigned char>(s[i + 2]) >= 0xBE) {
      append_replacement(out);
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  return out;
}

}  // namespace tend::rpc
