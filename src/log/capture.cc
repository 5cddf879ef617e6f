#include "log/capture.h"

#include <algorithm>
#include <utility>

namespace tend {

namespace {

// The length of the longest proper prefix of `token` that `data` ends with.
size_t token_start_at_end(std::string_view data, std::string_view token) {
  for (size_t n = std::min(data.size(), token.size() - 1); n > 0; --n) {
    if (data.substr(data.size() - n) == token.substr(0, n)) {
      return n;
    }
  }
  return 0;
}

}  // namespace

void CaptureScanner::feed(std::string_view chunk, CaptureSink& sink) {
  if (!m_held.empty()) {
    // The held bytes are shorter than the token, so a token that starts among
    // them ends within the chunk's first token-length bytes: look there only.
    std::string_view tok = token();
    std::string joined = std::exchange(m_held, std::string());
    size_t held = joined.size();
    joined.append(chunk.substr(0, std::min(chunk.size(), tok.size())));
    if (size_t at = joined.find(tok); at != std::string::npos) {
      emit(std::string_view(joined).substr(0, at), sink);
      toggle(sink);
      chunk.remove_prefix(at + tok.size() - held);
    } else if (joined.size() - held == chunk.size()) {
      // The whole chunk is in `joined`: scanning it keeps a new possible start.
      scan(joined, sink);
      return;
    } else {
      emit(std::string_view(joined).substr(0, held), sink);  // no token starts there: it was data
    }
  }
  scan(chunk, sink);
}

void CaptureScanner::scan(std::string_view data, CaptureSink& sink) {
  for (size_t at = data.find(token()); at != std::string_view::npos; at = data.find(token())) {
    emit(data.substr(0, at), sink);
    data.remove_prefix(at + token().size());
    toggle(sink);
  }
  size_t keep = token_start_at_end(data, token());
  emit(data.substr(0, data.size() - keep), sink);
  m_held.assign(data.substr(data.size() - keep));
}

void CaptureScanner::finish(CaptureSink& sink) {
  std::string rest = std::exchange(m_held, std::string());
  emit(rest, sink);
}

void CaptureScanner::reset() {
  m_in_block = false;
  m_held.clear();
}

void CaptureScanner::emit(std::string_view data, CaptureSink& sink) const {
  if (data.empty()) {
    return;
  }
  if (m_in_block) {
    sink.captured(data);
  } else {
    sink.text(data);
  }
}

void CaptureScanner::toggle(CaptureSink& sink) {
  m_in_block = !m_in_block;
  if (!m_in_block) {
    sink.block_end();
  }
}

void CaptureBuffer::append(std::string_view data) {
  if (m_max == 0) {
    return;
  }
  if (data.size() >= m_max) {
    m_buf.assign(data.substr(data.size() - m_max));
    return;
  }
  if (m_buf.size() + data.size() > 2 * m_max) {
    size_t keep = m_max - data.size();
    m_buf.erase(0, m_buf.size() - std::min(keep, m_buf.size()));
  }
  m_buf.append(data);
}

std::string_view CaptureBuffer::view() const {
  std::string_view all(m_buf);
  return all.size() > m_max ? all.substr(all.size() - m_max) : all;
}

void CaptureBuffer::clear() { std::string().swap(m_buf); }

}  // namespace tend
