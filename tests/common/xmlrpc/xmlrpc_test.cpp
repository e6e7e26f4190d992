// XML-RPC: what Python's xmlrpc.client (supervisorctl's) sends is read as sent, answers are
// well-formed whatever a log holds, and hostile documents are refused with the reason.

#include "common/base64.hpp"
#include "common/xmlrpc/xmlrpc.hpp"

#include <gtest/gtest.h>

namespace konnect::xmlrpc {
namespace {

// As xmlrpc.client.dumps(("web", True, -1600, 0.5, None), "supervisor.x", allow_none=True) writes it.
constexpr const char* kPythonCall = R"(<?xml version='1.0'?>
<methodCall>
<methodName>supervisor.x</methodName>
<params>
<param>
<value><string>web</string></value>
</param>
<param>
<value><boolean>1</boolean></value>
</param>
<param>
<value><int>-1600</int></value>
</param>
<param>
<value><double>0.5</double></value>
</param>
<param>
<value><nil/></value></param>
</params>
</methodCall>
)";

TEST(XmlRpc, ReadsWhatPythonSends) {
  auto call = parse_method_call(kPythonCall);
  ASSERT_TRUE(call) << call.error().message;
  EXPECT_EQ(call->method, "supervisor.x");
  EXPECT_EQ(call->params, (Array{Value("web"), Value(true), Value(-1600), Value(0.5), Value(Nil{})}));
}

TEST(XmlRpc, ReadsEveryType) {
  auto call = parse_method_call(
      "<methodCall><methodName> system.multicall </methodName><params><param><value><array><data>"
      "<value><struct><member><name>methodName</name><value>supervisor.getPID</value></member>"
      "<member><name>params</name><value><array><data/></array></value></member></struct></value>"
      "<value><i4>+7</i4></value><value><i8>9000000000</i8></value><value><base64>aGk=</base64></value>"
      "<value><dateTime.iso8601>20261207T05:16:53</dateTime.iso8601></value>"
      "<value><string>a &lt;b&gt; &amp; &#13;</string></value><value></value>"
      "</data></array></value></param></params></methodCall>");
  ASSERT_TRUE(call) << call.error().message;
  EXPECT_EQ(call->method, "system.multicall");
  const Array& items = *call->params.at(0).get<Array>();
  ASSERT_EQ(items.size(), 7u);
  EXPECT_EQ(*items[0].member("methodName"), Value("supervisor.getPID"));
  EXPECT_EQ(*items[0].member("params"), Value(Array{}));
  EXPECT_EQ(items[0].member("nothing"), nullptr);
  EXPECT_EQ(items[1], Value(7));
  EXPECT_EQ(items[2], Value(std::int64_t{9000000000}));
  EXPECT_EQ(items[3], Value(Base64{"hi"}));
  EXPECT_EQ(items[4], Value(DateTime{"20261207T05:16:53"}));
  EXPECT_EQ(items[5], Value("a <b> & \r"));
  EXPECT_EQ(items[6], Value(""));
  EXPECT_EQ(items[6].type_name(), "string");
}

TEST(XmlRpc, WritesAnswersAClientReadsBack) {
  const Value answer(Array{Value(Struct{{"name", Value("web")}, {"pid", Value(4242)}, {"ok", Value(true)}}),
                           Value(std::int64_t{1} << 40), Value(Nil{}), Value(Base64{std::string("\0\1", 2)})});
  auto back = parse_response(write_response(answer));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, answer);
  auto fault = parse_response(write_fault(10, "BAD_NAME: nosuch"));
  ASSERT_TRUE(fault);
  EXPECT_EQ(*fault->member("faultCode"), Value(10));
  EXPECT_EQ(*fault->member("faultString"), Value("BAD_NAME: nosuch"));
}

// A log may hold anything; the answer stays XML any client can parse.
TEST(XmlRpc, TextXmlCannotCarryBecomesReplacementCharacters) {
  const std::string log = "ok \x01\x1b[31mred\xff\xfe end \xc3\xa9\r\n";
  auto back = parse_response(write_response(Value(log)));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back->get<std::string>(), "ok \xEF\xBF\xBD\xEF\xBF\xBD[31mred\xEF\xBF\xBD\xEF\xBF\xBD end \xc3\xa9\r\n");
}

TEST(XmlRpc, RefusesHostileAndBrokenDocuments) {
  auto refusal = [](const std::string& xml) {
    auto r = parse_method_call(xml);
    return r ? std::string("accepted") : r.error().message;
  };
  // Entities: neither the billion laughs nor an external one (CVE-2017-11610's kin) get a DTD.
  EXPECT_NE(refusal("<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>"
                    "<methodCall><methodName>&b;</methodName></methodCall>")
                .find("a DOCTYPE is not accepted"),
            std::string::npos);
  EXPECT_NE(refusal("<!DOCTYPE m [<!ENTITY x SYSTEM \"file:///etc/shadow\">]><methodCall><methodName>&x;"
                    "</methodName></methodCall>")
                .find("DOCTYPE"),
            std::string::npos);
  std::string deep = "<methodCall><methodName>m</methodName><params><param>";
  for (int i = 0; i < 40; ++i) deep += "<value><array><data>";
  for (int i = 0; i < 40; ++i) deep += "</data></array></value>";
  deep += "</param></params></methodCall>";
  EXPECT_NE(refusal(deep).find("nested deeper than 32"), std::string::npos);
  EXPECT_NE(refusal("<methodCall><methodName>m</methodName>").find("line 1"), std::string::npos);
  EXPECT_NE(refusal("<methodResponse/>").find("not <methodCall>"), std::string::npos);
  EXPECT_NE(refusal("<methodCall><params/></methodCall>").find("no <methodName>"), std::string::npos);
  const std::string p = "<methodCall><methodName>m</methodName><params><param><value>";
  const std::string q = "</value></param></params></methodCall>";
  EXPECT_NE(refusal(p + "<int>12x</int>" + q).find("not an integer"), std::string::npos);
  EXPECT_NE(refusal(p + "<int>3000000000</int>" + q).find("not an integer of its size"), std::string::npos);
  EXPECT_NE(refusal(p + "<boolean>yes</boolean>" + q).find("not 0 or 1"), std::string::npos);
  EXPECT_NE(refusal(p + "<double>nan</double>" + q).find("not a number"), std::string::npos);
  EXPECT_NE(refusal(p + "<base64>a!==</base64>" + q).find("not base64"), std::string::npos);
  EXPECT_NE(refusal(p + "<float>1</float>" + q).find("unknown type <float>"), std::string::npos);
  EXPECT_NE(refusal(p + "<struct><member><name>a</name></member></struct>" + q).find("needs a <name> and a <value>"),
            std::string::npos);
  EXPECT_NE(refusal(p + "<string>a</string><int>1</int>" + q).find("more than one type"), std::string::npos);
  EXPECT_NE(refusal(std::string("<methodCall><methodName>a\0b</methodName></methodCall>", 48)).find("line 1"),
            std::string::npos);
}

TEST(Base64, RoundTripsAndRefusesWhatIsNot) {
  for (const std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    EXPECT_EQ(base64_decode(base64_encode(s)), s);
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_decode("dXNlcjpwYXN"), std::nullopt);  // 11 symbols: not a multiple of 4
  EXPECT_EQ(base64_decode("dXNl\ncjpw YXNz"), "user:pass");
  EXPECT_EQ(base64_decode("Zg="), std::nullopt);
  EXPECT_EQ(base64_decode("Zg=a"), std::nullopt);
  EXPECT_EQ(base64_decode("Zh=="), std::nullopt);  // bits the padding says are not there
  EXPECT_EQ(base64_decode("Z$=="), std::nullopt);
}

}  // namespace
}  // namespace konnect::xmlrpc
