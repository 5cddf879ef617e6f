#include "events/listener_protocol.h"

#include <fmt/format.h>

#include "events/payload.h"

namespace tend::events {

namespace {
constexpr std::string_view k_ready_token = "READY\n";
constexpr size_t k_result_prefix = 7;  // "RESULT ", never checked, as in supervisord
}  // namespace

const char* listener_state_name(ListenerState s) {
  switch (s) {
    case ListenerState::Acknowledged:
      return "ACKNOWLEDGED";
    case ListenerState::Ready:
      return "READY";
    case ListenerState::Busy:
      return "BUSY";
    case ListenerState::Unknown:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

using P = ListenerProtocol;

// Cells the scanner cannot produce in a state (a READY token while BUSY, ...)
// are `ignore`, and so is an event sent to a listener that is not READY.
// clang-format off
const ListenerProtocol::Action ListenerProtocol::k_table[k_listener_states][k_protocol_inputs] = {
  //                  ReadyToken        BadToken      Output        Sent             ResultLine      BadResultLine   BodyAccepted  BodyRejected  BodyError
  /* Acknowledged */ {&P::become_ready, &P::violate,  &P::ignore,   &P::ignore,      &P::ignore,     &P::ignore,     &P::ignore,   &P::ignore,   &P::ignore},
  /* Ready */        {&P::ignore,       &P::ignore,   &P::violate,  &P::become_busy, &P::ignore,     &P::ignore,     &P::ignore,   &P::ignore,   &P::ignore},
  /* Busy */         {&P::ignore,       &P::ignore,   &P::ignore,   &P::ignore,      &P::await_body, &P::bad_result, &P::accepted, &P::rejected, &P::errored},
  /* Unknown */      {&P::ignore,       &P::ignore,   &P::ignore,   &P::ignore,      &P::ignore,     &P::ignore,     &P::ignore,   &P::ignore,   &P::ignore},
};
// clang-format on

ListenerProtocol::ListenerProtocol(std::string name, Handler handler, Log log)
    : m_name(std::move(name)), m_handler(std::move(handler)), m_log(std::move(log)) {}

bool ListenerProtocol::sent() {
  if (m_state != ListenerState::Ready) {
    return false;
  }
  fire(ProtocolInput::Sent);
  return true;
}

void ListenerProtocol::reset() {
  m_state = ListenerState::Acknowledged;
  m_buffer.clear();
  m_result_len.reset();
  m_result.clear();
}

std::vector<Outcome> ListenerProtocol::apply(ProtocolInput input) {
  std::vector<Outcome> out;
  m_outcomes = &out;
  fire(input);
  m_outcomes = nullptr;
  return out;
}

std::vector<Outcome> ListenerProtocol::feed(std::string_view data) {
  std::vector<Outcome> out;
  m_outcomes = &out;
  m_buffer.append(data);
  while (std::optional<ProtocolInput> input = scan()) {
    fire(*input);
  }
  m_outcomes = nullptr;
  return out;
}

void ListenerProtocol::fire(ProtocolInput input) {
  Action a = k_table[static_cast<int>(m_state)][static_cast<int>(input)];
  (this->*a)();
}

std::optional<ProtocolInput> ListenerProtocol::scan() {
  switch (m_state) {
    case ListenerState::Unknown:
      m_buffer.clear();
      return std::nullopt;
    case ListenerState::Acknowledged:
      if (m_buffer.size() < k_ready_token.size()) {
        return std::nullopt;
      }
      if (std::string_view(m_buffer).substr(0, k_ready_token.size()) == k_ready_token) {
        m_buffer.erase(0, k_ready_token.size());
        return ProtocolInput::ReadyToken;
      }
      return ProtocolInput::BadToken;
    case ListenerState::Ready:
      return m_buffer.empty() ? std::nullopt : std::optional(ProtocolInput::Output);
    case ListenerState::Busy:
      break;
  }
  if (!m_result_len) {
    size_t eol = m_buffer.find('\n');
    if (eol == std::string::npos) {
      return std::nullopt;
    }
    std::string line = m_buffer.substr(0, eol);
    m_buffer.erase(0, eol + 1);
    std::optional<int64_t> len =
        parse_result_length(line.size() > k_result_prefix ? std::string_view(line).substr(k_result_prefix) : "");
    if (!len) {
      m_bad_line = std::move(line);
      return ProtocolInput::BadResultLine;
    }
    m_result_len = *len;
    return ProtocolInput::ResultLine;
  }
  size_t needed = static_cast<size_t>(*m_result_len) - m_result.size();
  size_t take = std::min(needed, m_buffer.size());
  m_result.append(m_buffer, 0, take);
  m_buffer.erase(0, take);
  if (m_result.size() < static_cast<size_t>(*m_result_len)) {
    return std::nullopt;
  }
  switch (m_handler(m_result)) {
    case Verdict::Accepted:
      return ProtocolInput::BodyAccepted;
    case Verdict::Rejected:
      return ProtocolInput::BodyRejected;
    case Verdict::Error:
      break;
  }
  return ProtocolInput::BodyError;
}

void ListenerProtocol::change(ListenerState to) {
  m_log(Level::Debug, fmt::format("{}: {} -> {}", m_name, listener_state_name(m_state), listener_state_name(to)));
  m_state = to;
  if (to == ListenerState::Unknown) {
    m_log(Level::Warn, fmt::format("{}: has entered the UNKNOWN state and will no longer receive events, this usually "
                                   "indicates the process violated the eventlistener protocol",
                                   m_name));
    m_buffer.clear();
  }
}

void ListenerProtocol::become_ready() {
  change(ListenerState::Ready);
  if (m_outcomes != nullptr) {
    m_outcomes->push_back(Outcome::Ready);
  }
}

void ListenerProtocol::violate() { change(ListenerState::Unknown); }

// supervisord sets BUSY without its usual state-change log line.
void ListenerProtocol::become_busy() { m_state = ListenerState::Busy; }

void ListenerProtocol::bad_result() {
  m_log(Level::Warn, fmt::format("{}: bad result line: '{}'", m_name, output_text(m_bad_line)));
  m_bad_line.clear();
  change(ListenerState::Unknown);
  if (m_outcomes != nullptr) {
    m_outcomes->push_back(Outcome::Rejected);
  }
}

void ListenerProtocol::accepted() {
  m_result_len.reset();
  m_result.clear();
  m_log(Level::Debug, fmt::format("{}: event was processed", m_name));
  change(ListenerState::Acknowledged);
  if (m_outcomes != nullptr) {
    m_outcomes->push_back(Outcome::Done);
  }
}

void ListenerProtocol::rejected() {
  m_result_len.reset();
  m_result.clear();
  m_log(Level::Warn, fmt::format("{}: event was rejected", m_name));
  change(ListenerState::Acknowledged);
  if (m_outcomes != nullptr) {
    m_outcomes->push_back(Outcome::Rejected);
  }
}

void ListenerProtocol::errored() {
  m_result_len.reset();
  m_result.clear();
  m_log(Level::Warn, fmt::format("{}: event caused an error", m_name));
  change(ListenerState::Unknown);
  if (m_outcomes != nullptr) {
    m_outcomes->push_back(Outcome::Rejected);
  }
}

std::optional<int64_t> parse_result_length(std::string_view text) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
  while (!text.empty() && space(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && space(text.back())) {
    text.remove_suffix(1);
  }
  bool negative = false;
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text.empty() || text.front() == '_' || text.back() == '_') {
    return std::nullopt;
  }
  int64_t value = 0;
  char prev = 0;
  for (char c : text) {
    if (c == '_') {
      if (prev == '_') {
        return std::nullopt;
      }
    } else if (c >= '0' && c <= '9') {
      if (value > (INT64_MAX - (c - '0')) / 10) {
        return std::nullopt;
      }
      value = value * 10 + (c - '0');
    } else {
      return std::nullopt;
    }
    prev = c;
  }
  if (negative && value != 0) {
    return std::nullopt;
  }
  return value;
}

}  // namespace tend::events
