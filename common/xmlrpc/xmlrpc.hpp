#pragma once
// XML-RPC (xmlrpc.com/spec, as supervisord and Python's xmlrpc.client speak it): the values,
// a methodCall parser on expat and the methodResponse writer. No sockets: the HTTP server
// hands a request body here and writes back what this produces (daemon/http/).
//
// The parser is for hostile input (SPEC.md "HTTP"): a document with a DOCTYPE is refused
// (no entity of any kind can be declared, so none can be expanded or fetched), nesting is
// limited, and every error is a value naming what was wrong.

#include "common/error.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace konnect::xmlrpc {

struct Value;
using Array = std::vector<Value>;
using Member = std::pair<std::string, Value>;
using Struct = std::vector<Member>;  // in the order given; names need not be unique on input

struct Nil {
  bool operator==(const Nil&) const = default;
};
struct Base64 {
  std::string bytes;  // decoded
  bool operator==(const Base64&) const = default;
};
struct DateTime {
  std::string text;  // as written: 20261207T05:16:53
  bool operator==(const DateTime&) const = default;
};

struct Value {
  std::variant<Nil, bool, std::int64_t, double, std::string, Base64, DateTime, Array, Struct> v;

  Value() = default;
  Value(Nil) {}
  Value(bool b) : v(b) {}
  Value(int i) : v(std::int64_t{i}) {}
  Value(std::int64_t i) : v(i) {}
  Value(double d) : v(d) {}
  Value(std::string s) : v(std::move(s)) {}
  Value(const char* s) : v(std::string(s)) {}
  Value(Base64 b) : v(std::move(b)) {}
  Value(DateTime d) : v(std::move(d)) {}
  Value(Array a) : v(std::move(a)) {}
  Value(Struct s) : v(std::move(s)) {}

  template <class T>
  const T* get() const {
    return std::get_if<T>(&v);
  }
  // The member called name of a struct, or nullptr.
  const Value* member(std::string_view name) const;
  // XML-RPC's type name, for error messages: "int", "string", "array"...
  std::string_view type_name() const;
  bool operator==(const Value&) const = default;
};

struct MethodCall {
  std::string method;
  Array params;
};

inline constexpr int kMaxDepth = 32;  // arrays and structs within each other

// Parses a <methodCall> document. Errors (ErrorCode::BadRequest) say what and where.
Result<MethodCall> parse_method_call(std::string_view xml);

// <methodResponse> with one value, or with a <fault> {faultCode, faultString}.
std::string write_response(const Value& value);
std::string write_fault(int code, std::string_view text);
// A <methodCall> (tests and benchmarks play client with it).
std::string write_call(std::string_view method, const Array& params);
// A <methodResponse> back into its value, or a fault as {faultCode, faultString}; for tests.
Result<Value> parse_response(std::string_view xml);

}  // namespace konnect::xmlrpc
