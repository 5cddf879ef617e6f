#include "rpc/codec.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>
#include <pugixml.hpp>

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
    Result<Value> item = parse_value(v, depth + 1);
    if (!item.ok()) {
      return item;
    }
    out.emplace_back(text_of(name), std::move(*item));
  }
  return Value(std::move(out));
}

Result<Value> parse_value(pugi::xml_node value, int depth) {
  if (depth > k_max_depth) {
    return make_error("values nested too deeply");
  }
  pugi::xml_node typed = first_element(value);
  if (!typed) {
    return Value(text_of(value));  // an untyped <value> is a string
  }
  std::string_view type = typed.name();
  if (type == "string") {
    return Value(text_of(typed));
  }
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
    return Value(DateTime{std::string(trim(text_of(typed)))});
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

void escape_into(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out += c;
    }
  }
}

void encode_value(std::string& out, const Value& v);

struct Encoder {
  std::string& out;
  void operator()(int64_t i) const {
    // Python's client refuses to send ints outside int32 but reads <i8>.
    bool small = i >= INT32_MIN && i <= INT32_MAX;
    out += small ? "<value><int>" : "<value><i8>";
    out += std::to_string(i);
    out += small ? "</int></value>\n" : "</i8></value>\n";
  }
  void operator()(bool b) const { out += b ? "<value><boolean>1</boolean></value>\n" : "<value><boolean>0</boolean></value>\n"; }
  void operator()(double d) const {
    out += "<value><double>";
    out += format_double(d);
    out += "</double></value>\n";
  }
  void operator()(const std::string& s) const {
    out += "<value><string>";
    escape_into(out, s);
    out += "</string></value>\n";
  }
  void operator()(const Base64& b) const {
    out += "<value><base64>\n";
    out += base64_encode_lines(b.bytes);
    out += "</base64></value>\n";
  }
  void operator()(const DateTime& d) const {
    out += "<value><dateTime.iso8601>";
    escape_into(out, d.iso8601);
    out += "</dateTime.iso8601></value>\n";
  }
  void operator()(const Array& a) const {
    out += "<value><array><data>\n";
    for (const Value& item : a) {
      encode_value(out, item);
    }
    out += "</data></array></value>\n";
  }
  void operator()(const Struct& s) const {
    out += "<value><struct>\n";
    for (const auto& [name, item] : s) {
      out += "<member>\n<name>";
      escape_into(out, name);
      out += "</name>\n";
      encode_value(out, item);
      out += "</member>\n";
    }
    out += "</struct></value>\n";
  }
};

void encode_value(std::string& out, const Value& v) { std::visit(Encoder{out}, v.storage()); }

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
  // notation for exponents in [-4, 16), else d.ddde+XX.
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  (void)ec;
  std::string_view sci(buf, static_cast<size_t>(end - buf));
  size_t epos = sci.find('e');
  std::string_view mant = sci.substr(0, epos);
  int exp = std::atoi(std::string(sci.substr(epos + 1)).c_str());
  std::string sign;
  if (!mant.empty() && mant.front() == '-') {
    sign = "-";
    mant.remove_prefix(1);
  }
  std::string digits;
  for (char c : mant) {
    if (c != '.') {
      digits += c;
    }
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
  Call call;
  call.method = std::string(trim(text_of(root->child("methodName"))));
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
  encode_value(out, v);
  return out;
}

std::string encode_response(const Value& v) {
  std::string out(k_xml_decl);
  out += "<methodResponse>\n<params>\n<param>\n";
  encode_value(out, v);
  out += "</param>\n</params>\n</methodResponse>\n";
  return out;
}

std::string encode_fault(const Fault& f) {
  std::string out(k_xml_decl);
  out += "<methodResponse>\n<fault>\n";
  encode_value(out, Value(Struct{{"faultCode", Value(f.code)}, {"faultString", Value(f.string)}}));
  out += "</fault>\n</methodResponse>\n";
  return out;
}

std::string encode_call(const std::string& method, const Array& params) {
  std::string out(k_xml_decl);
  out += "<methodCall>\n<methodName>";
  escape_into(out, method);
  out += "</methodName>\n<params>\n";
  for (const Value& v : params) {
    out += "<param>\n";
    encode_value(out, v);
    out += "</param>\n";
  }
  out += "</params>\n</methodCall>\n";
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
