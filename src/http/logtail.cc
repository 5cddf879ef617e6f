#include "http/logtail.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "util/fd.h"

namespace tend::http {

namespace {

constexpr std::string_view k_truncated = "==> File truncated <==\n";

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

}  // namespace

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = hex_value(s[i + 1]);
      int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::optional<LogTailTarget> parse_logtail_path(std::string_view raw) {
  std::string path = percent_decode(raw);
  size_t start = path.find_first_not_of('/');
  if (start == std::string::npos) {
    return std::nullopt;
  }
  std::string_view rest = std::string_view(path).substr(start);
  size_t slash = rest.find('/');  // after "logtail"
  if (slash == std::string_view::npos) {
    return std::nullopt;
  }
  rest.remove_prefix(slash + 1);
  LogTailTarget t;
  size_t channel = rest.find('/');
  if (channel == std::string_view::npos) {
    t.namespec = std::string(rest);
    t.channel = "stdout";
  } else {
    t.namespec = std::string(rest.substr(0, channel));
    t.channel = std::string(rest.substr(channel + 1));
  }
  return t;
}

std::string http_date_of(time_t t) {
  static const char* const k_days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const k_months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  struct tm tm {};
  gmtime_r(&t, &tm);
  return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} GMT", k_days[tm.tm_wday], tm.tm_mday, k_months[tm.tm_mon],
                     tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

// One client following one file.
class LogTailService::Stream {
 public:
  Stream(EventLoop& loop, Duration interval, Response response, std::string path)
      : m_loop(loop), m_interval(interval), m_response(std::move(response)), m_path(std::move(path)) {}
  ~Stream() { m_loop.cancel_timer(m_timer); }

  bool open() { return open_at(m_path); }

  // Starts at most k_head_bytes before the end.
  bool begin(LogTailService* service) {
    struct stat st {};
    fstat(m_fd.get(), &st);
    int64_t size = m_regular ? st.st_size : 0;
    m_offset = std::max<int64_t>(0, size - static_cast<int64_t>(k_head_bytes));
    Headers extra{{"Last-Modified", http_date_of(st.st_mtime)}, {"X-Accel-Buffering", "no"}};
    if (!m_response.begin_stream(200, "text/plain;charset=utf-8", extra)) {
      return false;
    }
    m_service = service;
    return true;
  }

  // Sends what is new; false when the client is gone.
  bool pump() {
    if (!m_response.alive()) {
      return false;
    }
    follow_rotation();
    if (!m_regular) {
      return true;
    }
    struct stat st {};
    if (fstat(m_fd.get(), &st) != 0) {
      return true;
    }
    int64_t size = st.st_size;
    if (size < m_offset) {
      m_offset = 0;
      return m_response.write(k_truncated);
    }
    size_t unsent = m_response.buffered();
    if (size == m_offset || unsent >= k_max_unsent) {
      return true;
    }
    size_t want = std::min<int64_t>(size - m_offset, static_cast<int64_t>(k_max_unsent - unsent));
    m_buf.resize(want);
    ssize_t n = pread(m_fd.get(), m_buf.data(), want, static_cast<off_t>(m_offset));
    if (n <= 0) {
      return true;
    }
    m_offset += n;
    return m_response.write(std::string_view(m_buf.data(), static_cast<size_t>(n)));
  }

  void schedule() {
    m_timer = m_loop.add_timer_after(m_interval, [this] {
      m_timer = 0;
      if (pump()) {
        schedule();
      } else {
        finish();
      }
    });
  }

  // Called once; removes this stream from its service (which may destroy it).
  void finish() {
    m_loop.cancel_timer(m_timer);
    m_timer = 0;
    if (LogTailService* s = m_service) {
      m_service = nullptr;
      s->remove(this);
    }
  }

  const Response& response() const { return m_response; }

 private:
  // A new file at the path (rotation): once the rest of the file being read has been sent,
  // go on with the file that came after it, from its start. The file being read (renamed to
  // a backup) is still read through m_fd, so a client loses none of what was written to it
  // after the last poll, nor what waited while the client was slow. Several rotations between
  // two polls leave whole files between that one and the path: they are sent in turn (see
  // next_file), so a client of a busy log still gets every line once, in order.
  void follow_rotation() {
    struct stat st {};
    if (::stat(m_path.c_str(), &st) != 0) {
      return;  // removed: keep the old file until a new one appears
    }
    if (st.st_ino != m_ino || st.st_dev != m_dev) {
      struct stat old_st {};
      if (m_regular && fstat(m_fd.get(), &old_st) == 0 && old_st.st_size > m_offset) {
        return;  // pump() sends more of the old file first
      }
      Fd old = std::move(m_fd);
      if (!open_at(next_file())) {
        m_fd = std::move(old);
      }
    }
  }

  // The file written after the one being read, by the backup names of RotatingFile
  // (path.1 the newest backup, path.2 older...): if that one is now path.k, it is
  // path.(k-1), or the path itself for k = 1. If it is among none of them (deleted as
  // the oldest), every backup left is newer: the oldest of them comes next.
  std::string next_file() const {
    std::string newer = m_path;
    for (int k = 1; k <= k_max_backups; ++k) {
      std::string backup = fmt::format("{}.{}", m_path, k);
      struct stat st {};
      if (::stat(backup.c_str(), &st) != 0) {
        return newer;  // not found: `newer` is the oldest backup, or the path
      }
      if (st.st_ino == m_ino && st.st_dev == m_dev) {
        return newer;
      }
      newer = std::move(backup);
    }
    return m_path;
  }

  bool open_at(const std::string& file) {
    Fd fd(::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
    struct stat st {};
    if (!fd || fstat(fd.get(), &st) != 0) {
      return false;
    }
    m_fd = std::move(fd);
    m_ino = st.st_ino;
    m_dev = st.st_dev;
    m_regular = S_ISREG(st.st_mode);
    m_offset = 0;
    return true;
  }

  static constexpr int k_max_backups = 1000;  // bounds the search for the next file

  EventLoop& m_loop;
  Duration m_interval;
  Response m_response;
  std::string m_path;
  LogTailService* m_service = nullptr;
  Fd m_fd;
  ino_t m_ino = 0;
  dev_t m_dev = 0;
  bool m_regular = false;
  int64_t m_offset = 0;
  std::string m_buf;
  EventLoop::TimerId m_timer = 0;
};

LogTailService::LogTailService(EventLoop& loop, Duration interval) : m_loop(loop), m_interval(interval) {}

LogTailService::~LogTailService() {
  std::unordered_map<Stream*, std::shared_ptr<Stream>> streams;
  streams.swap(m_streams);
  for (auto& [raw, s] : streams) {
    s->response().on_abort(nullptr);
  }
}

void LogTailService::serve(const Request& request, const Response& response, const std::string& path) {
  if (request.method != "GET") {
    response.send_error(400);
    return;
  }
  auto stream = std::make_shared<Stream>(m_loop, m_interval, response, path);
  if (!stream->open()) {
    response.send_error(404);
    return;
  }
  if (!stream->begin(this)) {
    return;
  }
  m_streams.emplace(stream.get(), stream);
  std::weak_ptr<Stream> weak = stream;
  response.on_abort([weak] {
    if (std::shared_ptr<Stream> s = weak.lock()) {
      s->finish();
    }
  });
  if (stream->pump()) {
    stream->schedule();
  } else {
    stream->finish();
  }
}

void LogTailService::remove(Stream* s) {
  auto it = m_streams.find(s);
  if (it == m_streams.end()) {
    return;
  }
  // Destroy after this call returns: `s` may be running one of its own methods.
  std::shared_ptr<Stream> keep = std::move(it->second);
  m_streams.erase(it);
  m_loop.defer([keep] {});
}

}  // namespace tend::http
