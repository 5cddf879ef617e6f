#include "ctl/http_response.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace tend::ctl {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) {
    return false;
  }
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    if (iequals(hay.substr(i, needle.size()), needle)) {
      return true;
    }
  }
  return false;
}

}  // namespace

void HttpResponseParser::emit(std::string_view data) {
  if (!data.empty() && m_sink) {
    m_sink(data);
  }
}

Status HttpResponseParser::feed(std::string_view data) {
  while (!data.empty() && m_phase != Phase::Done) {
    if (m_phase == Phase::Body || m_phase == Phase::ChunkData) {
      size_t n = data.size();
      if (m_phase == Phase::ChunkData || m_has_length) {
        n = static_cast<size_t>(std::min<uint64_t>(n, m_remaining));
        m_remaining -= n;
      }
      emit(data.substr(0, n));
      data.remove_prefix(n);
      if ((m_phase == Phase::ChunkData || m_has_length) && m_remaining == 0) {
        m_phase = m_phase == Phase::ChunkData ? Phase::ChunkCrlf : Phase::Done;
      }
      continue;
    }
    size_t nl = data.find('\n');
    if (nl == std::string_view::npos) {
      m_line.append(data);
      if (m_line.size() > 64 * 1024) {
        return make_error("unable to parse HTTP response: line too long");
      }
      return ok_status();
    }
    m_line.append(data.substr(0, nl));
    data.remove_prefix(nl + 1);
    std::string line = std::move(m_line);
    m_line.clear();
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    Status st = on_line(line);
    if (!st) {
      return st;
    }
  }
  return ok_status();
}

Status HttpResponseParser::on_line(std::string_view line) {
  switch (m_phase) {
    case Phase::StatusLine: {
      // "HTTP/1.1 200 OK"
      if (line.substr(0, 5) != "HTTP/") {
        return make_error(fmt::format("unable to parse HTTP status line: {}", line));
      }
      size_t sp = line.find(' ');
      if (sp == std::string_view::npos) {
        return make_error(fmt::format("unable to parse HTTP status line: {}", line));
      }
      m_http10 = line.substr(0, sp) == "HTTP/1.0";
      m_close = m_http10;
      std::string_view rest = trim(line.substr(sp + 1));
      std::string_view code = rest.substr(0, rest.find(' '));
      auto [p, ec] = std::from_chars(code.data(), code.data() + code.size(), m_status);
      if (ec != std::errc() || p != code.data() + code.size() || code.size() != 3) {
        return make_error(fmt::format("unable to parse HTTP status line: {}", line));
      }
      m_reason = code.size() < rest.size() ? std::string(trim(rest.substr(code.size()))) : "";
      m_phase = Phase::Headers;
      return ok_status();
    }
    case Phase::Headers:
      if (line.empty()) {
        start_body();
        return ok_status();
      }
      return on_header(line);
    case Phase::ChunkSize: {
      std::string_view size = trim(line.substr(0, line.find(';')));
      uint64_t n = 0;
      auto [p, ec] = std::from_chars(size.data(), size.data() + size.size(), n, 16);
      if (size.empty() || ec != std::errc() || p != size.data() + size.size()) {
        return make_error(fmt::format("unable to parse HTTP chunk size: {}", line));
      }
      m_remaining = n;
      m_phase = n == 0 ? Phase::Trailer : Phase::ChunkData;
      return ok_status();
    }
    case Phase::ChunkCrlf:
      if (!line.empty()) {
        return make_error("unable to parse HTTP chunk: missing CRLF after data");
      }
      m_phase = Phase::ChunkSize;
      return ok_status();
    case Phase::Trailer:
      if (line.empty()) {
        m_phase = Phase::Done;
      }
      return ok_status();
    default:
      return ok_status();
  }
}

Status HttpResponseParser::on_header(std::string_view line) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    return make_error(fmt::format("unable to parse HTTP header: {}", line));
  }
  std::string_view name = trim(line.substr(0, colon));
  std::string_view value = trim(line.substr(colon + 1));
  if (iequals(name, "Content-Length")) {
    uint64_t n = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || p != value.data() + value.size()) {
      return make_error(fmt::format("unable to parse HTTP header: {}", line));
    }
    m_has_length = true;
    m_remaining = n;
  } else if (iequals(name, "Transfer-Encoding")) {
    m_chunked = icontains(value, "chunked");
  } else if (iequals(name, "Connection")) {
    if (icontains(value, "close")) {
      m_close = true;
    } else if (icontains(value, "keep-alive")) {
      m_close = false;
    }
  }
  return ok_status();
}

void HttpResponseParser::start_body() {
  if (m_status / 100 == 1 || m_status == 204 || m_status == 304) {
    m_phase = Phase::Done;
  } else if (m_chunked) {
    m_has_length = false;
    m_phase = Phase::ChunkSize;
  } else if (m_has_length) {
    m_phase = m_remaining == 0 ? Phase::Done : Phase::Body;
  } else {
    // No length and not chunked: the body runs to the end of the connection.
    m_close = true;
    m_phase = Phase::Body;
  }
}

Status HttpResponseParser::finish() {
  if (m_phase == Phase::Done) {
    return ok_status();
  }
  if (m_phase == Phase::Body && !m_has_length) {
    m_phase = Phase::Done;
    return ok_status();
  }
  return make_error("unable to read HTTP response: connection closed early");
}

}  // namespace tend::ctl
