// /logtail/<namespec>[/stdout|/stderr] and /mainlogtail: a log file streamed
// like `tail -f`, as supervisord serves it to `supervisorctl tail -f` and fg.
//
// Each request gets 200 text/plain (chunked on HTTP/1.1, close-delimited on
// 1.0) starting with the last 1024 bytes of the file, then whatever is
// appended. The file is re-checked every 100 ms, but only while a client is
// connected: each stream has its own timer, gone with the client. A rotated
// file (new inode at the path) is followed from its start once the rest of
// the old one has been sent, so nothing written before the rotation is lost;
// the backups made by several rotations between two checks (path.1, path.2...)
// are sent whole in between, oldest first;
// a truncated one gets "==> File truncated <==\n" and is followed from its
// start. A slow client is not read for: at most k_max_unsent bytes wait for
// it at a time.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "sys/event_loop.h"
#include "http/connection.h"
#include "http/message.h"

namespace tend::http {

// "/logtail/g%3Ap/stderr" -> {"g:p", "stderr"}: percent-decoded, leading
// slashes dropped, the channel defaulting to "stdout". nullopt when there is
// no name part at all.
struct LogTailTarget {
  std::string namespec;
  std::string channel;
};
std::optional<LogTailTarget> parse_logtail_path(std::string_view path);

// %XX decoding (invalid escapes are kept as they are).
std::string percent_decode(std::string_view s);

// "Thu, 26 Nov 2026 16:22:15 GMT".
std::string http_date_of(time_t t);

class LogTailService {
 public:
  static constexpr size_t k_head_bytes = 1024;
  static constexpr size_t k_max_unsent = 256 * 1024;

  explicit LogTailService(EventLoop& loop, Duration interval = std::chrono::milliseconds(100));
  // Stops every stream (their connections are left to the server).
  ~LogTailService();
  LogTailService(const LogTailService&) = delete;
  LogTailService& operator=(const LogTailService&) = delete;

  // Answers a GET with a stream of `path` (the caller has checked that the
  // file is the right one; a file that cannot be opened is a 404).
  void serve(const Request& request, const Response& response, const std::string& path);

  size_t active() const { return m_streams.size(); }

 private:
  class Stream;
  void remove(Stream* s);

  EventLoop& m_loop;
  Duration m_interval;
  std::unordered_map<Stream*, std::shared_ptr<Stream>> m_streams;
};

}  // namespace tend::http
