#include "common/xmlrpc/xmlrpc.hpp"

#include "common/base64.hpp"

#include <expat.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <memory>

namespace konnect::xmlrpc {
namespace {

// --- reading: expat builds a small element tree, then the tree is read as XML-RPC --------

struct Node {
  std::string name;
  std::string text;  // character data directly inside (whitespace included)
  std::vector<Node> children;
};

// Elements within each other: a value nests methodCall/params/param/value/(array/data/value
// or struct/member/value) per level.
constexpr int kMaxElementDepth = 4 + 3 * kMaxDepth + 2;
// Elements in all: a tree node costs some 100 bytes, so a body of tiny elements must not
// become a tree 25 times its size. A getAllProcessInfo answer for 1000 programs, read back
// by a test, has some 60 000.
constexpr std::size_t kMaxElements = 500000;

struct TreeBuilder {
  Node root;
  std::vector<Node*> open{&root};
  std::string refusal;  // why the parser was stopped
  std::size_t elements = 0;
  XML_Parser parser = nullptr;

  void stop(std::string why) {
    if (refusal.empty()) refusal = std::move(why);
    XML_StopParser(parser, XML_FALSE);
  }
};

void XMLCALL on_start(void* data, const XML_Char* name, const XML_Char**) {
  auto* b = static_cast<TreeBuilder*>(data);
  if (static_cast<int>(b->open.size()) > kMaxElementDepth) {
    return b->stop("nested deeper than " + std::to_string(kMaxDepth) + " arrays or structs");
  }
  if (++b->elements > kMaxElements) return b->stop("more than " + std::to_string(kMaxElements) + " elements");
  Node* parent = b->open.back();
  parent->children.push_back(Node{name, {}, {}});
  b->open.push_back(&parent->children.back());
}

void XMLCALL on_end(void* data, const XML_Char*) {
  auto* b = static_cast<TreeBuilder*>(data);
  b->open.pop_back();
}

void XMLCALL on_text(void* data, const XML_Char* s, int len) {
  auto* b = static_cast<TreeBuilder*>(data);
  b->open.back()->text.append(s, static_cast<std::size_t>(len));
}

void XMLCALL on_doctype(void* data, const XML_Char*, const XML_Char*, const XML_Char*, int) {
  static_cast<TreeBuilder*>(data)->stop("a DOCTYPE is not accepted (no DTDs, no entities)");
}

Result<Node> read_tree(std::string_view xml) {
  std::unique_ptr<std::remove_pointer_t<XML_Parser>, decltype(&XML_ParserFree)> parser(XML_ParserCreate("UTF-8"),
                                                                                       &XML_ParserFree);
  if (!parser) return make_error(ErrorCode::Internal, "cannot create an XML parser");
  TreeBuilder b;
  b.parser = parser.get();
  XML_SetUserData(parser.get(), &b);
  XML_SetElementHandler(parser.get(), on_start, on_end);
  XML_SetCharacterDataHandler(parser.get(), on_text);
  XML_SetStartDoctypeDeclHandler(parser.get(), on_doctype);
  XML_SetParamEntityParsing(parser.get(), XML_PARAM_ENTITY_PARSING_NEVER);
  // Pieces of at most 1 GiB (expat takes an int length).
  std::string_view rest = xml;
  do {
    const std::size_t n = std::min<std::size_t>(rest.size(), 1u << 30);
    const bool last = n == rest.size();
    if (XML_Parse(parser.get(), rest.data(), static_cast<int>(n), last ? XML_TRUE : XML_FALSE) != XML_STATUS_OK) {
      const auto line = XML_GetCurrentLineNumber(parser.get());
      std::string why = b.refusal.empty() ? XML_ErrorString(XML_GetErrorCode(parser.get())) : b.refusal;
      return make_error(ErrorCode::BadRequest, "not a valid XML-RPC request: line " + std::to_string(line) + ": " + why);
    }
    rest.remove_prefix(n);
  } while (!rest.empty());
  if (b.root.children.size() != 1) return make_error(ErrorCode::BadRequest, "not a valid XML-RPC request: no document");
  return std::move(b.root.children.front());
}

Error bad(const std::string& what) { return make_error(ErrorCode::BadRequest, "not a valid XML-RPC request: " + what); }

std::string_view trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// The one element child of node named name, or nullptr (several: an error).
Result<const Node*> only_child(const Node& node, std::string_view name, bool required) {
  const Node* found = nullptr;
  for (const Node& c : node.children) {
    if (c.name != name) return bad("<" + c.name + "> inside <" + node.name + ">");
    if (found) return bad("more than one <" + std::string(name) + "> inside <" + node.name + ">");
    found = &c;
  }
  if (!found && required) return bad("<" + node.name + "> has no <" + std::string(name) + ">");
  return found;
}

Result<Value> read_value(const Node& value, int depth);

Result<Value> read_typed(const Node& t, int depth) {
  const std::string& type = t.name;
  if (type != "array" && type != "struct" && !t.children.empty()) {
    return bad("<" + t.children.front().name + "> inside <" + type + ">");
  }
  if (type == "string") return Value(t.text);
  if (type == "int" || type == "i4" || type == "i8") {
    std::string_view s = trim(t.text);
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    const bool fits = type == "i8" || (n >= INT32_MIN && n <= INT32_MAX);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !fits) {
      return bad("<" + type + "> holds '" + std::string(s.substr(0, 40)) + "', not an integer of its size");
    }
    return Value(n);
  }
  if (type == "boolean") {
    const std::string_view s = trim(t.text);
    if (s == "1") return Value(true);
    if (s == "0") return Value(false);
    return bad("<boolean> holds '" + std::string(s.substr(0, 40)) + "', not 0 or 1");
  }
  if (type == "double") {
    const std::string_view s = trim(t.text);
    double d = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(d)) {
      return bad("<double> holds '" + std::string(s.substr(0, 40)) + "', not a number");
    }
    return Value(d);
  }
  if (type == "base64") {
    auto bytes = base64_decode(t.text);
    if (!bytes) return bad("<base64> is not base64");
    return Value(Base64{std::move(*bytes)});
  }
  if (type == "dateTime.iso8601") return Value(DateTime{std::string(trim(t.text))});
  if (type == "nil") return Value(Nil{});
  if (type == "array") {
    if (depth >= kMaxDepth) return bad("nested deeper than " + std::to_string(kMaxDepth) + " arrays or structs");
    auto data = only_child(t, "data", true);
    if (!data) return data.error();
    Array items;
    for (const Node& v : (*data)->children) {
      if (v.name != "value") return bad("<" + v.name + "> inside <data>");
      auto item = read_value(v, depth + 1);
      if (!item) return item.error();
      items.push_back(std::move(*item));
    }
    return Value(std::move(items));
  }
  if (type == "struct") {
    if (depth >= kMaxDepth) return bad("nested deeper than " + std::to_string(kMaxDepth) + " arrays or structs");
    Struct members;
    for (const Node& m : t.children) {
      if (m.name != "member") return bad("<" + m.name + "> inside <struct>");
      const Node* name = nullptr;
      const Node* value = nullptr;
      for (const Node& c : m.children) {
        const Node** slot = c.name == "name" ? &name : c.name == "value" ? &value : nullptr;
        if (!slot) return bad("<" + c.name + "> inside <member>");
        if (*slot) return bad("more than one <" + c.name + "> inside <member>");
        *slot = &c;
      }
      if (!name || !value) return bad("a <member> needs a <name> and a <value>");
      if (!name->children.empty()) return bad("<" + name->children.front().name + "> inside <name>");
      auto v = read_value(*value, depth + 1);
      if (!v) return v.error();
      members.emplace_back(name->text, std::move(*v));
    }
    return Value(std::move(members));
  }
  return bad("unknown type <" + type + ">");
}

Result<Value> read_value(const Node& value, int depth) {
  if (value.children.empty()) return Value(value.text);  // no type: a string
  if (value.children.size() > 1) return bad("more than one type inside <value>");
  return read_typed(value.children.front(), depth);
}

Result<Array> read_params(const Node& params) {
  Array out;
  for (const Node& p : params.children) {
    if (p.name != "param") return bad("<" + p.name + "> inside <params>");
    auto value = only_child(p, "value", true);
    if (!value) return value.error();
    auto v = read_value(**value, 0);
    if (!v) return v.error();
    out.push_back(std::move(*v));
  }
  return out;
}

// --- writing ------------------------------------------------------------------------------

// Length of the valid UTF-8 sequence at s[i] that is also a valid XML 1.0 character, or 0.
std::size_t xml_char_length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') ? 1 : 0;
  std::size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
  if (n == 0 || c > 0xf4 || i + n > s.size()) return 0;
  std::uint32_t cp = c & (0x7f >> n);
  for (std::size_t k = 1; k < n; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3f);
  }
  const bool shortest = (n == 2 && cp >= 0x80) || (n == 3 && cp >= 0x800) || (n == 4 && cp >= 0x10000);
  const bool allowed = cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) && cp != 0xfffe && cp != 0xffff;
  return shortest && allowed ? n : 0;
}

// Text as XML character data. What XML cannot carry (control characters, bytes that are not
// UTF-8: a program's log may hold anything) becomes U+FFFD, so the client can always parse it.
void escape(std::string& out, std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = xml_char_length(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    switch (s[i]) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '\r': out += "&#13;"; break;  // else read back as \n
      default: out.append(s.data() + i, n);
    }
    i += n;
  }
}

void write_value(std::string& out, const Value& value) {
  out += "<value>";
  std::visit(
      [&out](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, Nil>) {
          out += "<nil/>";
        } else if constexpr (std::is_same_v<T, bool>) {
          out += x ? "<boolean>1</boolean>" : "<boolean>0</boolean>";
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          const bool small = x >= INT32_MIN && x <= INT32_MAX;
          out += small ? "<int>" : "<i8>";
          out += std::to_string(x);
          out += small ? "</int>" : "</i8>";
        } else if constexpr (std::is_same_v<T, double>) {
          char buf[32];
          std::snprintf(buf, sizeof buf, "%.17g", x);
          out += "<double>";
          out += buf;
          out += "</double>";
        } else if constexpr (std::is_same_v<T, std::string>) {
          out += "<string>";
          escape(out, x);
          out += "</string>";
        } else if constexpr (std::is_same_v<T, Base64>) {
          out += "<base64>" + base64_encode(x.bytes) + "</base64>";
        } else if constexpr (std::is_same_v<T, DateTime>) {
          out += "<dateTime.iso8601>";
          escape(out, x.text);
          out += "</dateTime.iso8601>";
        } else if constexpr (std::is_same_v<T, Array>) {
          out += "<array><data>\n";
          for (const Value& item : x) write_value(out, item);
          out += "</data></array>";
        } else {
          out += "<struct>\n";
          for (const auto& [name, v] : x) {
            out += "<member><name>";
            escape(out, name);
            out += "</name>";
            write_value(out, v);
            out += "</member>\n";
          }
          out += "</struct>";
        }
      },
      value.v);
  out += "</value>\n";
}

constexpr const char* kProlog = "<?xml version='1.0'?>\n";

}  // namespace

const Value* Value::member(std::string_view name) const {
  if (const auto* s = get<Struct>()) {
    for (const auto& [n, v] : *s) {
      if (n == name) return &v;
    }
  }
  return nullptr;
}

std::string_view Value::type_name() const {
  static constexpr std::string_view kNames[] = {"nil",    "boolean",          "int",   "double", "string",
                                                "base64", "dateTime.iso8601", "array", "struct"};
  return kNames[v.index()];
}

Result<MethodCall> parse_method_call(std::string_view xml) {
  auto tree = read_tree(xml);
  if (!tree) return tree.error();
  if (tree->name != "methodCall") return bad("the document is <" + tree->name + ">, not <methodCall>");
  MethodCall call;
  bool named = false;
  for (const Node& c : tree->children) {
    if (c.name == "methodName" && !named && c.children.empty()) {
      call.method = std::string(trim(c.text));
      named = true;
    } else if (c.name == "params" && call.params.empty()) {
      auto params = read_params(c);
      if (!params) return params.error();
      call.params = std::move(*params);
    } else {
      return bad("unexpected <" + c.name + "> inside <methodCall>");
    }
  }
  if (call.method.empty()) return bad("no <methodName>");
  return call;
}

std::string write_response(const Value& value) {
  std::string out = kProlog;
  out += "<methodResponse>\n<params>\n<param>\n";
  write_value(out, value);
  out += "</param>\n</params>\n</methodResponse>\n";
  return out;
}

std::string write_fault(int code, std::string_view text) {
  std::string out = kProlog;
  out += "<methodResponse>\n<fault>\n";
  write_value(out, Value(Struct{{"faultCode", Value(code)}, {"faultString", Value(std::string(text))}}));
  out += "</fault>\n</methodResponse>\n";
  return out;
}

std::string write_call(std::string_view method, const Array& params) {
  std::string out = kProlog;
  out += "<methodCall>\n<methodName>";
  escape(out, method);
  out += "</methodName>\n<params>\n";
  for (const Value& p : params) {
    out += "<param>\n";
    write_value(out, p);
    out += "</param>\n";
  }
  out += "</params>\n</methodCall>\n";
  return out;
}

Result<Value> parse_response(std::string_view xml) {
  auto tree = read_tree(xml);
  if (!tree) return tree.error();
  if (tree->name != "methodResponse" || tree->children.size() != 1) return bad("not a <methodResponse>");
  const Node& body = tree->children.front();
  if (body.name == "fault") {
    auto value = only_child(body, "value", true);
    if (!value) return value.error();
    return read_value(**value, 0);
  }
  if (body.name != "params") return bad("<" + body.name + "> inside <methodResponse>");
  auto params = read_params(body);
  if (!params) return params.error();
  if (params->size() != 1) return bad("a response has one <param>");
  return std::move(params->front());
}

}  // namespace konnect::xmlrpc
