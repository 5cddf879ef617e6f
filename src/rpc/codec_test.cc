#include "rpc/codec.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "fakes/missing_tool.h"
#include "rpc/faults.h"

namespace tend::rpc {
namespace {

Value parse_one(const std::string& value_xml) {
  std::string xml = "<?xml version='1.0'?><methodCall><methodName>a.b</methodName><params><param>" + value_xml +
                    "</param></params></methodCall>";
  Result<Call> call = parse_call(xml);
  EXPECT_TRUE(call.ok()) << (call.ok() ? "" : call.error());
  if (!call.ok() || call->params.size() != 1) {
    return Value();
  }
  return call->params[0];
}

bool parse_fails(const std::string& value_xml) {
  std::string xml = "<methodCall><methodName>a.b</methodName><params><param>" + value_xml +
                    "</param></params></methodCall>";
  return !parse_call(xml).ok();
}

TEST(CodecParse, ScalarTypes) {
  EXPECT_EQ(parse_one("<value><int>42</int></value>"), Value(42));
  EXPECT_EQ(parse_one("<value><i4>-7</i4></value>"), Value(-7));
  EXPECT_EQ(parse_one("<value><i8>5000000000</i8></value>"), Value(int64_t{5000000000}));
  EXPECT_EQ(parse_one("<value><int> 3 </int></value>"), Value(3));
  EXPECT_EQ(parse_one("<value><boolean>1</boolean></value>"), Value(true));
  EXPECT_EQ(parse_one("<value><boolean>0</boolean></value>"), Value(false));
  EXPECT_EQ(parse_one("<value><double>1.5</double></value>"), Value(1.5));
  EXPECT_EQ(parse_one("<value><string>hi</string></value>"), Value("hi"));
  EXPECT_EQ(parse_one("<value>untyped</value>"), Value("untyped"));
  EXPECT_EQ(parse_one("<value></value>"), Value(""));
  EXPECT_EQ(parse_one("<value><string/></value>"), Value(""));
  EXPECT_EQ(parse_one("<value><dateTime.iso8601>20261126T17:00:00</dateTime.iso8601></value>"),
            Value(DateTime{"20261126T17:00:00"}));
  EXPECT_EQ(parse_one("<value><base64>\naGk=\n</base64></value>"), Value(Base64{"hi"}));
}

TEST(CodecParse, WhitespaceAndEntitiesPreserved) {
  EXPECT_EQ(parse_one("<value><string>   </string></value>"), Value("   "));
  EXPECT_EQ(parse_one("<value>  </value>"), Value("  "));
  EXPECT_EQ(parse_one("<value><string> a \n b </string></value>"), Value(" a \n b "));
  EXPECT_EQ(parse_one("<value><string>&lt;&amp;&gt;&#65;</string></value>"), Value("<&>A"));
  EXPECT_EQ(parse_one("<value><string><![CDATA[<raw>]]></string></value>"), Value("<raw>"));
}

TEST(CodecParse, EntityBombStaysLiteral) {
  std::string xml =
      "<?xml version='1.0'?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;\">]>"
      "<methodCall><methodName>a.b</methodName><params><param><value><string>&b;</string></value></param>"
      "</params></methodCall>";
  Result<Call> call = parse_call(xml);
  ASSERT_TRUE(call.ok()) << call.error();
  ASSERT_EQ(call->params.size(), 1u);
  EXPECT_LT(call->params[0].as_string().size(), 10u);
}

TEST(CodecParse, Containers) {
  Value arr = parse_one(
      "<value><array><data>\n<value><int>1</int></value>\n<value><string>x</string></value>\n"
      "</data></array></value>");
  EXPECT_EQ(arr, Value(Array{Value(1), Value("x")}));
  Value st = parse_one(
      "<value><struct><member><name>b</name><value><int>2</int></value></member>"
      "<member><name>a</name><value>s</value></member></struct></value>");
  EXPECT_EQ(st, Value(Struct{{"b", Value(2)}, {"a", Value("s")}}));
  EXPECT_EQ(parse_one("<value><array><data/></array></value>"), Value(Array{}));
  EXPECT_EQ(parse_one("<value><struct/></value>"), Value(Struct{}));
}

TEST(CodecParse, Rejections) {
  EXPECT_TRUE(parse_fails("<value><int>x</int></value>"));
  EXPECT_TRUE(parse_fails("<value><int>99999999999999999999999</int></value>"));
  EXPECT_TRUE(parse_fails("<value><boolean>true</boolean></value>"));
  EXPECT_TRUE(parse_fails("<value><double>1.5x</double></value>"));
  EXPECT_TRUE(parse_fails("<value><nil/></value>"));
  EXPECT_TRUE(parse_fails("<value><base64>!!!</base64></value>"));
  EXPECT_TRUE(parse_fails("<value><struct><member><value>1</value></member></struct></value>"));
  EXPECT_FALSE(parse_call("<methodCall><params/></methodCall>").ok());
  EXPECT_FALSE(parse_call("<methodCall><methodName>x").ok());
  EXPECT_FALSE(parse_call("not xml").ok());
  EXPECT_FALSE(parse_call("<methodResponse/>").ok());
  EXPECT_FALSE(parse_call("").ok());
  std::string deep;
  for (int i = 0; i < 200; ++i) {
    deep += "<value><array><data>";
  }
  EXPECT_TRUE(parse_fails(deep + std::string("x")));
}

// Strings must be XML text: a string we accept can come back in a fault
// ("BAD_NAME: <name>"), so one that no XML reader accepts is refused (HTTP 400,
// as expat makes supervisord answer) wherever a string can appear.
TEST(CodecParse, TextThatIsNotXmlIsRefused) {
  const char* bad[] = {
      "\xff",              // never valid in UTF-8
      "ok\xc3",            // truncated sequence
      "\xed\xa0\x80",      // encoded surrogate
      "\xc0\xaf",          // overlong '/'
      "\xf4\x90\x80\x80",  // beyond U+10FFFF
      "a\x01b",            // control character, raw
      "&#1;",              // the same as a character reference
      "&#xFFFE;",          // a non-character
      "&#xD800;",          // a surrogate reference
  };
  for (const char* text : bad) {
    std::string t = text;
    EXPECT_TRUE(parse_fails("<value><string>" + t + "</string></value>")) << t;
    EXPECT_TRUE(parse_fails("<value>" + t + "</value>")) << t;
    EXPECT_TRUE(parse_fails("<value><struct><member><name>" + t + "</name><value>1</value></member></struct></value>"))
        << t;
    EXPECT_TRUE(parse_fails("<value><array><data><value>" + t + "</value></data></array></value>")) << t;
    EXPECT_TRUE(parse_fails("<value><dateTime.iso8601>" + t + "</dateTime.iso8601></value>")) << t;
    EXPECT_FALSE(parse_call("<methodCall><methodName>a" + t + "</methodName></methodCall>").ok()) << t;
  }
  // What XML does allow passes unchanged: tab, LF, the BMP edges, astral
  // planes (a raw CR would be read as a line end; &#13; is one).
  std::string fine = "\t\n \xed\x9f\xbf\xee\x80\x80\xef\xbf\xbd\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf";
  EXPECT_EQ(parse_one("<value><string>" + fine + "</string></value>"), Value(fine));
  EXPECT_EQ(parse_one("<value><string>a&#13;b</string></value>"), Value("a\rb"));
  EXPECT_EQ(parse_one("<value><string>&#x10FFFF;&#9;</string></value>"), Value("\xf4\x8f\xbf\xbf\t"));
  // Base64 carries bytes, not text: any byte goes.
  EXPECT_EQ(parse_one("<value><base64>/wE=</base64></value>"), Value(Base64{"\xff\x01"}));
}

TEST(CodecParse, MissingParamsAllowed) {
  Result<Call> call = parse_call("<?xml version='1.0'?>\n<methodCall>\n<methodName>system.listMethods</methodName>\n</methodCall>\n");
  ASSERT_TRUE(call.ok()) << call.error();
  EXPECT_EQ(call->method, "system.listMethods");
  EXPECT_TRUE(call->params.empty());
}

// The expected strings below were produced by Python 3.11's xmlrpc.client.dumps.
TEST(CodecEncode, MatchesPythonResponse) {
  Value v(Struct{{"a", Value(1)},
                 {"b", Value(Array{Value(true), Value("x<&>\"'"), Value(1.5), Value(1073741824), Value(1e20),
                                   Value(0.1)})}});
  EXPECT_EQ(encode_response(v),
            "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><struct>\n<member>\n"
            "<name>a</name>\n<value><int>1</int></value>\n</member>\n<member>\n<name>b</name>\n"
            "<value><array><data>\n<value><boolean>1</boolean></value>\n"
            "<value><string>x&lt;&amp;&gt;\"'</string></value>\n<value><double>1.5</double></value>\n"
            "<value><int>1073741824</int></value>\n<value><double>1e+20</double></value>\n"
            "<value><double>0.1</double></value>\n</data></array></value>\n</member>\n</struct></value>\n"
            "</param>\n</params>\n</methodResponse>\n");
  EXPECT_EQ(encode_response(Value("")),
            "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><string></string></value>\n"
            "</param>\n</params>\n</methodResponse>\n");
}

TEST(CodecEncode, MatchesPythonFault) {
  EXPECT_EQ(encode_fault(make_fault(faults::k_bad_name, "x")),
            "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n"
            "<value><int>10</int></value>\n</member>\n<member>\n<name>faultString</name>\n"
            "<value><string>BAD_NAME: x</string></value>\n</member>\n</struct></value>\n</fault>\n"
            "</methodResponse>\n");
}

TEST(CodecEncode, MatchesPythonCall) {
  EXPECT_EQ(encode_call("foo.bar", {Value(Base64{"hi"}), Value(DateTime{"20201010T10:10:10"}), Value(Array{}),
                                    Value(Struct{})}),
            "<?xml version='1.0'?>\n<methodCall>\n<methodName>foo.bar</methodName>\n<params>\n<param>\n"
            "<value><base64>\naGk=\n</base64></value>\n</param>\n<param>\n"
            "<value><dateTime.iso8601>20201010T10:10:10</dateTime.iso8601></value>\n</param>\n<param>\n"
            "<value><array><data>\n</data></array></value>\n</param>\n<param>\n<value><struct>\n</struct></value>\n"
            "</param>\n</params>\n</methodCall>\n");
  EXPECT_EQ(encode_call("a.b", {}),
            "<?xml version='1.0'?>\n<methodCall>\n<methodName>a.b</methodName>\n<params>\n</params>\n"
            "</methodCall>\n");
}

// getAllProcessInfo's shape: structs whose members come out in insertion
// order, names and strings escaped. Expected text from Python 3.11's
// xmlrpc.client.dumps((infos,), methodresponse=True).
Struct info_struct(const char* name, const char* group, int64_t stop, int state, const char* statename,
                   const char* spawnerr, const char* log, int64_t pid, const char* description) {
  Struct s;
  s.emplace_back("name", Value(name));
  s.emplace_back("group", Value(group));
  s.emplace_back("start", Value(int64_t{1795710000}));
  s.emplace_back("stop", Value(stop));
  s.emplace_back("state", Value(state));
  s.emplace_back("statename", Value(statename));
  s.emplace_back("spawnerr", Value(spawnerr));
  s.emplace_back("logfile", Value(log));
  s.emplace_back("pid", Value(pid));
  s.emplace_back("description", Value(description));
  return s;
}

TEST(CodecEncode, ProcessInfoArrayMatchesPython) {
  Value v(Array{Value(info_struct("a<b>&c", "g&<>", 0, 20, "RUNNING", "", "/var/log/a&b.log", 4242,
                                  "pid 4242, uptime 0:04:00")),
                Value(info_struct("f", "f", 1795710001, 200, "FATAL", "can't find command '<x>&y'", "", 0,
                                  "can't find command '<x>&y'"))});
  const char* member_end = "</member>\n<member>\n";
  std::string expected = std::string(
      "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><array><data>\n<value><struct>\n<member>\n"
      "<name>name</name>\n<value><string>a&lt;b&gt;&amp;c</string></value>\n") + member_end +
      "<name>group</name>\n<value><string>g&amp;&lt;&gt;</string></value>\n" + member_end +
      "<name>start</name>\n<value><int>1795710000</int></value>\n" + member_end +
      "<name>stop</name>\n<value><int>0</int></value>\n" + member_end +
      "<name>state</name>\n<value><int>20</int></value>\n" + member_end +
      "<name>statename</name>\n<value><string>RUNNING</string></value>\n" + member_end +
      "<name>spawnerr</name>\n<value><string></string></value>\n" + member_end +
      "<name>logfile</name>\n<value><string>/var/log/a&amp;b.log</string></value>\n" + member_end +
      "<name>pid</name>\n<value><int>4242</int></value>\n" + member_end +
      "<name>description</name>\n<value><string>pid 4242, uptime 0:04:00</string></value>\n"
      "</member>\n</struct></value>\n<value><struct>\n<member>\n"
      "<name>name</name>\n<value><string>f</string></value>\n" + member_end +
      "<name>group</name>\n<value><string>f</string></value>\n" + member_end +
      "<name>start</name>\n<value><int>1795710000</int></value>\n" + member_end +
      "<name>stop</name>\n<value><int>1795710001</int></value>\n" + member_end +
      "<name>state</name>\n<value><int>200</int></value>\n" + member_end +
      "<name>statename</name>\n<value><string>FATAL</string></value>\n" + member_end +
      "<name>spawnerr</name>\n<value><string>can't find command '&lt;x&gt;&amp;y'</string></value>\n" + member_end +
      "<name>logfile</name>\n<value><string></string></value>\n" + member_end +
      "<name>pid</name>\n<value><int>0</int></value>\n" + member_end +
      "<name>description</name>\n<value><string>can't find command '&lt;x&gt;&amp;y'</string></value>\n"
      "</member>\n</struct></value>\n</data></array></value>\n</param>\n</params>\n</methodResponse>\n";
  EXPECT_EQ(encode_response(v), expected);
}

TEST(CodecEncode, ResponseIntoAppendsAndReusesTheBuffer) {
  Value v(Struct{{"k<&>", Value(Array{Value(7), Value("x&y")})}});
  std::string fresh = encode_response(v);
  std::string out = "prefix";
  encode_response_into(out, v);
  EXPECT_EQ(out, "prefix" + fresh);

  // A cleared buffer with capacity to spare (as the HTTP layer lends one)
  // gets the same bytes and keeps its memory.
  std::string reused(1 << 20, 'z');
  reused.clear();
  size_t capacity = reused.capacity();
  encode_response_into(reused, v);
  EXPECT_EQ(reused, fresh);
  EXPECT_EQ(reused.capacity(), capacity);
}

TEST(CodecEncode, LongTextEscapedAcrossSlices) {
  // Long enough to be escaped in several slices, with entities at and around
  // the slice edges and a worst case run of nothing but '&'.
  std::string text;
  for (int i = 0; i < 50000; ++i) {
    text += "ab<&>"[i % 5];
  }
  text += std::string(40000, '&');
  std::string escaped;
  for (char c : text) {
    escaped += c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" : std::string(1, c);
  }
  EXPECT_EQ(encode_value_xml(Value(text)), "<value><string>" + escaped + "</string></value>\n");
  EXPECT_EQ(encode_call(text, {}), "<?xml version='1.0'?>\n<methodCall>\n<methodName>" + escaped +
                                       "</methodName>\n<params>\n</params>\n</methodCall>\n");
}

TEST(CodecEncode, BigIntsUseI8) {
  EXPECT_EQ(encode_value_xml(Value(int64_t{5000000000})), "<value><i8>5000000000</i8></value>\n");
  EXPECT_EQ(encode_value_xml(Value(int64_t{INT32_MIN})), "<value><int>-2147483648</int></value>\n");
}

TEST(CodecEncode, DoublesLikePythonRepr) {
  EXPECT_EQ(format_double(1.0), "1.0");
  EXPECT_EQ(format_double(-2.5), "-2.5");
  EXPECT_EQ(format_double(0.1), "0.1");
  EXPECT_EQ(format_double(0.0001), "0.0001");
  EXPECT_EQ(format_double(0.00001), "1e-05");
  EXPECT_EQ(format_double(1e15), "1000000000000000.0");
  EXPECT_EQ(format_double(1e16), "1e+16");
  EXPECT_EQ(format_double(1.5e300), "1.5e+300");
  EXPECT_EQ(format_double(123.456), "123.456");
  EXPECT_EQ(format_double(0.0), "0.0");
  EXPECT_EQ(format_double(1764176400.25), "1764176400.25");
}

TEST(CodecRoundTrip, ResponseAndFault) {
  Value v(Array{Value(1), Value(int64_t{1} << 40), Value(false), Value(2.25), Value(" sp "), Value(Base64{"\x01\x02"}),
                Value(DateTime{"20261126T17:00:00"}), Value(Struct{{"k", Value(Array{})}})});
  auto back = parse_response(encode_response(v));
  ASSERT_TRUE(back.ok()) << back.error();
  ASSERT_TRUE(std::holds_alternative<Value>(*back));
  EXPECT_EQ(std::get<Value>(*back), v);

  auto fault = parse_response(encode_fault(Fault{70, "NOT_RUNNING"}));
  ASSERT_TRUE(fault.ok());
  ASSERT_TRUE(std::holds_alternative<Fault>(*fault));
  EXPECT_EQ(std::get<Fault>(*fault), (Fault{70, "NOT_RUNNING"}));
  EXPECT_FALSE(parse_response("<methodResponse></methodResponse>").ok());
  EXPECT_FALSE(parse_response("<methodResponse><fault><value><struct/></value></fault></methodResponse>").ok());

  auto call = parse_call(encode_call("supervisor.startProcess", {Value("a:b"), Value(true)}));
  ASSERT_TRUE(call.ok());
  EXPECT_EQ(call->method, "supervisor.startProcess");
  EXPECT_EQ(call->params, (Array{Value("a:b"), Value(true)}));
}

// Feeds our output to Python's own xmlrpc.client when the system Python exists.
TEST(CodecEncode, PythonClientReadsOurOutput) {
  if (access("/usr/bin/python3", X_OK) != 0) {
    TEND_SKIP_MISSING("/usr/bin/python3");
  }
  char path[] = "/tmp/tend_codec_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  Value v(Struct{{"s", Value("a<b>&c   ")}, {"n", Value(int64_t{5000000000})}, {"d", Value(0.1)},
                 {"b", Value(Base64{std::string(100, 'z')})}, {"t", Value(true)}});
  {
    std::ofstream out(path);
    out << encode_response(v);
  }
  std::string cmd = std::string("/usr/bin/python3 -c \"import xmlrpc.client as x,sys; (r,),_ = x.loads(open(sys.argv[1]).read()); "
                                "sys.exit(0 if r == {'s':'a<b>&c   ','n':5000000000,'d':0.1,'b':x.Binary(b'z'*100),'t':True} else 1)\" ") +
                    path;
  int rc = std::system(cmd.c_str());
  unlink(path);
  EXPECT_EQ(rc, 0);
}

}  // namespace
}  // namespace tend::rpc
