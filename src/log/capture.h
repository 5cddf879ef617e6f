// Capture mode (`stdout_capture_maxbytes` / `stderr_capture_maxbytes` > 0):
// what a program writes between <!--XSUPERVISOR:BEGIN--> and
// <!--XSUPERVISOR:END--> is a block for the event stream
// (PROCESS_COMMUNICATION), not output for the log.
//
// CaptureScanner finds the tokens in a byte stream that arrives in chunks of
// any size, a token split over several chunks included. Rules, as supervisord
// applies them:
//  - the tokens themselves are nobody's data: they are dropped;
//  - outside a block only BEGIN is looked for, inside only END (an END
//    outside a block and a BEGIN inside one are plain data);
//  - bytes before a BEGIN in the same chunk are ordinary output;
//  - an empty block (BEGIN directly followed by END) is still a block.
// Unlike supervisord, which holds back up to a token's length of output
// whenever the buffer is that short (so a short last line can wait forever),
// the scanner passes every byte on at once, except a chunk's tail that could
// be the start of the token it looks for: that tail waits for the next chunk,
// or for finish() at the end of the stream.
//
// CaptureBuffer holds one block's bytes, at most `maxbytes` of them: the
// newest are kept.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tend {

// Where the scanner sends what it finds, in stream order. Pieces are never empty.
class CaptureSink {
 public:
  virtual void text(std::string_view data) = 0;      // outside a block: ordinary output
  virtual void captured(std::string_view data) = 0;  // inside a block
  virtual void block_end() = 0;                      // END: the block is complete

 protected:
  ~CaptureSink() = default;
};

class CaptureScanner {
 public:
  static constexpr std::string_view k_begin = "<!--XSUPERVISOR:BEGIN-->";
  static constexpr std::string_view k_end = "<!--XSUPERVISOR:END-->";

  void feed(std::string_view chunk, CaptureSink& sink);
  // End of the stream: the held tail is data after all.
  void finish(CaptureSink& sink);
  // Back to the start of a stream: outside a block, nothing held.
  void reset();

  bool in_block() const { return m_in_block; }
  // Bytes waiting to see whether they start a token (less than a token's length).
  std::string_view held() const { return m_held; }

 private:
  std::string_view token() const { return m_in_block ? k_end : k_begin; }
  // Sends `data` as text or captured, as the current mode says.
  void emit(std::string_view data, CaptureSink& sink) const;
  // Scans `data` with nothing held; keeps a possible token start at its end.
  void scan(std::string_view data, CaptureSink& sink);
  void toggle(CaptureSink& sink);

  bool m_in_block = false;
  std::string m_held;
};

class CaptureBuffer {
 public:
  explicit CaptureBuffer(int64_t maxbytes) : m_max(maxbytes > 0 ? static_cast<size_t>(maxbytes) : 0) {}

  void append(std::string_view data);
  // The block so far: its newest maxbytes bytes.
  std::string_view view() const;
  void clear();

 private:
  // Appends are amortised O(length): the string grows to twice the limit
  // before the dropped front is cut off, and view() skips what is dropped.
  size_t m_max;
  std::string m_buf;
};

}  // namespace tend
