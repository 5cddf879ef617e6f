#include "rpc/codec.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "config/unicode.h"
#include "util/base64.h"

namespace tend::rpc {

namespace {

// parse_ws_pcdata_single keeps "<string>   </string>" as three spaces; the
// default flags would drop whitespace-only text. pugixml never expands DTD
// entities, so entity-bomb payloads stay literal text.
constexpr unsigned k_parse_flags = pugi::parse_default | pugi::parse_ws_pcdata_single;

constexpr int k_max_depth = 64;  // nesting of arrays/structs we accept

std::string_view trim(std::string_view s) {
  const char* ws = " \t\r\n";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) {
    return {};
  }
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

// All text (PCDATA and CDATA) directly under `node`, concatenated.
std::string text_of(pugi::xml_node node) {
  std::string out;
  for (pugi::xml_node c : node.children()) {
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) {
      out += c.value();
    }
  }
  return out;
}

// True when `s` is valid UTF-8 made only of characters XML 1.0 allows (tab,
// LF, CR, U+0020-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF). pugixml checks
// neither: raw bytes and references such as &#1; reach our strings as they
// are, and a string a call carries can come back in its fault ("BAD_NAME:
// ..."), which no XML parser would then read. expat refuses such documents,
// so supervisord answers them 400, and so do we.
bool is_xml_text(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    size_t len = unicode::decode(s, i, &cp);
    if (len == 0) {
      return false;
    }
    bool allowed = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
                   (cp >= 0xE000 && cp <= 0xFFFD) || cp >= 0x10000;
    if (!allowed) {
      return false;
    }
    i += len;
  }
  return true;
}

// text_of(node), refused when it is not XML text (see is_xml_text).
Result<std::string> checked_text_of(pugi::xml_node node) {
  std::string text = text_of(node);
  if (!is_xml_text(text)) {
    return make_error("text that is not valid UTF-8 or holds a character XML does not allow");
  }
  return text;
}

pugi::xml_node first_element(pugi::xml_node node) {
  for (pugi::xml_node c : node.children()) {
    if (c.type() == pugi::node_element) {
      return c;
    }
  }
  return {};
}

Result<Value> parse_value(pugi::xml_node value, int depth);

Result<Value> parse_int(std::string_view text) {
  std::string_view t = trim(text);
  if (!t.empty() && t.front() == '+') {
    t.remove_prefix(1);
  }
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size()) {
    return make_error(fmt::format("invalid integer value '{}'", text));
  }
  return Value(v);
}

Result<Value> parse_double(std::string_view text) {
  std::string t(trim(text));
  if (t.empty()) {
    return make_error("invalid double value ''");
  }
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size()) {
    return make_error(fmt::format("invalid double value '{}'", text));
  }
  return Value(v);
}

Result<Value> parse_array(pugi::xml_node node, int depth) {
  Array out;
  pugi::xml_node data = node.child("data");
  for (pugi::xml_node v : data.children("value")) {
    Result<Value> item = parse_value(v, depth + 1);
    if (!item.ok()) {
      return item;
    }
    out.push_back(std::move(*item));
  }
  return Value(std::move(out));
}

Result<Value> parse_struct(pugi::xml_node node, int depth) {
  Struct out;
  for (pugi::xml_node m : node.children("member")) {
    pugi::xml_node name = m.child("name");
    pugi::xml_node v = m.child("value");
    if (!name || !v) {
      return make_error("struct member without name or value");
    }
    Result<std::string> key = checked_text_of(name);
    if (!key.ok()) {
      return make_error(key.error());
    }
    Result<Value> item = parse_value(v, depth + 1);
    if (!item.ok()) {
      return item;
    }
    out.emplace_back(std::move(*key), std::move(*item));
  }
  return Value(std::move(out));
}

Result<Value> parse_value(pugi::xml_node value, int depth) {
  if (depth > k_max_depth) {
    return make_error("values nested too deeply");
  }
  pugi::xml_node typed = first_element(value);
  if (!typed || std::string_view(typed.name()) == "string") {
    Result<std::string> text = checked_text_of(typed ? typed : value);  // an untyped <value> is a string
    if (!text.ok()) {
      return make_error(text.error());
    }
    return Value(std::move(*text));
  }
  std::string_view type = typed.name();
  if (type == "int" || type == "i4" || type == "i8") {
    return parse_int(text_of(typed));
  }
  if (type == "boolean") {
    std::string t(trim(text_of(typed)));
    if (t != "0" && t != "1") {
      return make_error(fmt::format("invalid boolean value '{}'", t));
    }
    return Value(t == "1");
  }
  if (type == "double") {
    return parse_double(text_of(typed));
  }
  if (type == "dateTime.iso8601") {
    Result<std::string> text = checked_text_of(typed);
    if (!text.ok()) {
      return make_error(text.error());
    }
    return Value(DateTime{std::string(trim(*text))});
  }
  if (type == "base64") {
    Result<std::string> bytes = base64_decode(text_of(typed));
    if (!bytes.ok()) {
      return make_error(bytes.error());
    }
    return Value(Base64{std::move(*bytes)});
  }
  if (type == "array") {
    return parse_array(typed, depth);
  }
  if (type == "struct") {
    return parse_struct(typed, depth);
  }
  // <nil/> and extension types have no Value equivalent.
  return make_error(fmt::format("unsupported value type '{}'", type));
}

Result<pugi::xml_node> load(pugi::xml_document& doc, std::string_view xml, const char* root_name) {
  pugi::xml_parse_result r = doc.load_buffer(xml.data(), xml.size(), k_parse_flags);
  if (!r) {
    return make_error(fmt::format("malformed XML at offset {}: {}", r.offset, r.description()));
  }
  pugi::xml_node root = doc.document_element();
  if (std::strcmp(root.name(), root_name) != 0) {
    return make_error(fmt::format("expected <{}>, got <{}>", root_name, root.name()));
  }
  return root;
}

// Appends to a std::string through a raw cursor. The encoder writes about a
// hundred small pieces per getProcessInfo struct; as fixed-size memcpy into
// reserved room they compile to a few moves each, where std::string::append
// is an out-of-line call (and a memcpy call) per piece, and escaping copies
// while it scans. The string is grown ahead of the cursor (its size, not only
// its capacity, since only bytes below size() may be written) and cut back to
// what was written when the OutBuf goes away.
class OutBuf {
 public:
  explicit OutBuf(std::string& s) : m_s(s), m_len(s.size()) {}
  ~OutBuf() { m_s.resize(m_len); }
  OutBuf(const OutBuf&) = delete;
  OutBuf& operator=(const OutBuf&) = delete;

  // A cursor with room for `n` more bytes; hand it back through commit().
  char* room(size_t n) {
    if (m_s.size() - m_len < n) {
      grow(n);
    }
    return m_s.data() + m_len;
  }
  void commit(const char* end) { m_len = static_cast<size_t>(end - m_s.data()); }

  // A string literal, without its terminating NUL.
  template <size_t N>
  void lit(const char (&text)[N]) {
    char* p = room(N - 1);
    std::memcpy(p, text, N - 1);
    m_len += N - 1;
  }
  void raw(std::string_view text) {
    char* p = room(text.size());
    std::memcpy(p, text.data(), text.size());
    m_len += text.size();
  }
  void integer(int64_t v) {
    char* p = room(24);  // any int64 fits
    commit(std::to_chars(p, p + 24, v).ptr);
  }
  // `text` with &, < and > replaced by entities (what xmlrpc.client escapes).
  // Long text goes in slices so the worst-case room (5 bytes per byte) stays
  // small.
  void escaped(std::string_view text) {
    constexpr size_t k_slice = 16 * 1024;
    while (!text.empty()) {
      std::string_view part = text.substr(0, k_slice);
      text.remove_prefix(part.size());
      char* p = room(part.size() * 5);
      for (char c : part) {
        switch (c) {
          case '&': std::memcpy(p, "&amp;", 5); p += 5; break;
          case '<': std::memcpy(p, "&lt;", 4); p += 4; break;
          case '>': std::memcpy(p, "&gt;", 4); p += 4; break;
          default: *p++ = c;
        }
      }
      commit(p);
    }
  }

 private:
  // Grows the size by half (at least to 4 KiB and to what is needed),
  // staying within the capacity when the need fits: that only zero-fills the
  // new part, so a reused large string is never reallocated.
  void grow(size_t n) {
    size_t want = std::max({m_len + n, m_s.size() + m_s.size() / 2, size_t{4096}});
    if (want > m_s.capacity() && m_len + n <= m_s.capacity()) {
      want = m_s.capacity();
    }
    m_s.resize(want);
  }

  std::string& m_s;
  size_t m_len;  // bytes written; the rest of m_s up to size() is scratch
};

void encode_value(OutBuf& out, const Value& v);

struct Encoder {
  OutBuf& out;
  void operator()(int64_t i) const {
    // Python's client refuses to send ints outside int32 but reads <i8>.
    if (i >= INT32_MIN && i <= INT32_MAX) {
      out.lit("<value><int>");
      out.integer(i);
      out.lit("</int></value>\n");
    } else {
      out.lit("<value><i8>");
      out.integer(i);
      out.lit("</i8></value>\n");
    }
  }
  void operator()(bool b) const {
    if (b) {
      out.lit("<value><boolean>1</boolean></value>\n");
    } else {
      out.lit("<value><boolean>0</boolean></value>\n");
    }
  }
  void operator()(double d) const {
    out.lit("<value><double>");
    out.raw(format_double(d));
    out.lit("</double></value>\n");
  }
  void operator()(const std::string& s) const {
    out.lit("<value><string>");
    out.escaped(s);
    out.lit("</string></value>\n");
  }
  void operator()(const Base64& b) const {
    out.lit("<value><base64>\n");
    out.raw(base64_encode_lines(b.bytes));
    out.lit("</base64></value>\n");
  }
  void operator()(const DateTime& d) const {
    out.lit("<value><dateTime.iso8601>");
    out.escaped(d.iso8601);
    out.lit("</dateTime.iso8601></value>\n");
  }
  void operator()(const Array& a) const {
    out.lit("<value><array><data>\n");
    for (const Value& item : a) {
      encode_value(out, item);
    }
    out.lit("</data></array></value>\n");
  }
  void operator()(const Struct& s) const {
    out.lit("<value><struct>\n");
    for (const auto& [name, item] : s) {
      out.lit("<member>\n<name>");
      out.escaped(name);
      out.lit("</name>\n");
      encode_value(out, item);
      out.lit("</member>\n");
    }
    out.lit("</struct></value>\n");
  }
};

// Tests the common alternatives first (ints and strings are most of a
// getProcessInfo struct) instead of std::visit, whose table dispatch gcc
// does not inline through this recursion.
void encode_value(OutBuf& out, const Value& v) {
  const Value::Storage& s = v.storage();
  Encoder enc{out};
  if (const auto* i = std::get_if<int64_t>(&s)) {
    enc(*i);
  } else if (const auto* str = std::get_if<std::string>(&s)) {
    enc(*str);
  } else if (const auto* st = std::get_if<Struct>(&s)) {
    enc(*st);
  } else {
    std::visit(enc, s);
  }
}

constexpr std::string_view k_xml_decl = "<?xml version='1.0'?>\n";

}  // namespace

std::string format_double(double d) {
  if (std::isnan(d)) {
    return "nan";
  }
  if (std::isinf(d)) {
    return d < 0 ? "-inf" : "inf";
  }
  // Shortest round-trip digits, laid out like Python's repr(float): plain
  // notation for exponents in [-4, 16), else d.ddde+XX. The digits come from
  // fmt's Dragonbox (compiled once in util/fmt_impl.cc): std::to_chars for a
  // double would link libstdc++'s Ryu tables, 129 KB of the static binary.
  std::string sign = std::signbit(d) ? "-" : "";
  std::string digits = "0";
  int exp = 0;
  if (d != 0) {
    auto dec = fmt::detail::dragonbox::to_decimal(std::fabs(d));
    digits = std::to_string(dec.significand);
    exp = dec.exponent + static_cast<int>(digits.size()) - 1;
  }
  if (exp < -4 || exp >= 16) {
    std::string out = sign + digits.substr(0, 1);
    if (digits.size() > 1) {
      out += "." + digits.substr(1);
    }
    return out + fmt::format("e{}{:02d}", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
  }
  if (exp < 0) {
    return sign + "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
  }
  size_t int_len = static_cast<size_t>(exp) + 1;
  if (digits.size() <= int_len) {
    return sign + digits + std::string(int_len - digits.size(), '0') + ".0";
  }
  return sign + digits.substr(0, int_len) + "." + digits.substr(int_len);
}

Result<Call> parse_call(std::string_view xml) {
  pugi::xml_document doc;
  Result<pugi::xml_node> root = load(doc, xml, "methodCall");
  if (!root.ok()) {
    return make_error(root.error());
  }
  Result<std::string> method = checked_text_of(root->child("methodName"));
  if (!method.ok()) {
    return make_error("methodName: " + method.error());
  }
  Call call;
  call.method = std::string(trim(*method));
  if (call.method.empty()) {
    return make_error("methodCall without methodName");
  }
  for (pugi::xml_node param : root->child("params").children("param")) {
    Result<Value> v = parse_value(param.child("value"), 0);
    if (!v.ok()) {
      return make_error(v.error());
    }
    call.params.push_back(std::move(*v));
  }
  return call;
}

std::string encode_value_xml(const Value& v) {
  std::string out;
  {
    OutBuf buf(out);
    encode_value(buf, v);
  }
  return out;
}

void encode_response_into(std::string& out, const Value& v) {
  OutBuf buf(out);
  buf.raw(k_xml_decl);
  buf.lit("<methodResponse>\n<params>\n<param>\n");
  encode_value(buf, v);
  buf.lit("</param>\n</params>\n</methodResponse>\n");
}

std::string encode_response(const Value& v) {
  std::string out;
  encode_response_into(out, v);
  return out;
}

std::string encode_fault(const Fault& f) {
  std::string out;
  {
    OutBuf buf(out);
    buf.raw(k_xml_decl);
    buf.lit("<methodResponse>\n<fault>\n");
    encode_value(buf, Value(Struct{{"faultCode", Value(f.code)}, {"faultString", Value(f.string)}}));
    buf.lit("</fault>\n</methodResponse>\n");
  }
  return out;
}

std::string encode_call(const std::string& method, const Array& params) {
  std::string out;
  {
    OutBuf buf(out);
    buf.raw(k_xml_decl);
    buf.lit("<methodCall>\n<methodName>");
    buf.escaped(method);
    buf.lit("</methodName>\n<params>\n");
    for (const Value& v : params) {
      buf.lit("<param>\n");
      encode_value(buf, v);
      buf.lit("</param>\n");
    }
    buf.lit("</params>\n</methodCall>\n");
  }
  return out;
}

Result<std::variant<Value, Fault>> parse_response(std::string_view xml) {
  pugi::xml_document doc;
  Result<pugi::xml_node> root = load(doc, xml, "methodResponse");
  if (!root.ok()) {
    return make_error(root.error());
  }
  if (pugi::xml_node fault = root->child("fault")) {
    Result<Value> v = parse_value(fault.child("value"), 0);
    if (!v.ok()) {
      return make_error(v.error());
    }
    const Value* code = v->get("faultCode");
    const Value* text = v->get("faultString");
    if (code == nullptr || !code->is_int() || text == nullptr || !text->is_string()) {
      return make_error("fault without an int faultCode and a string faultString");
    }
    return std::variant<Value, Fault>(Fault{static_cast<int>(code->as_int()), text->as_string()});
  }
  pugi::xml_node value = root->child("params").child("param").child("value");
  if (!value) {
    return make_error("methodResponse without a value or a fault");
  }
  Result<Value> v = parse_value(value, 0);
  if (!v.ok()) {
    return make_error(v.error());
  }
  return std::variant<Value, Fault>(std::move(*v));
}

}  // namespace tend::rpc
