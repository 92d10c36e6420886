#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/response.hpp"

namespace gatehouse::http {

// Rules for one string field of a JSON body, in pydantic v1 terms (the tutorial's schemas).
struct StringRule {
  std::size_t min_chars = 0;
  std::size_t max_chars = std::numeric_limits<std::size_t>::max();  // code points
  std::size_t max_bytes = std::numeric_limits<std::size_t>::max();  // UTF-8 bytes
  bool email = false;                                               // EmailStr
};

// What a body field holds: a string (pydantic v1 coerces numbers to it) or a JSON boolean.
enum class FieldType { kString, kBoolean };

// One field of a JSON request body: its rule, and what the API documentation says of it.
struct FieldSpec {
  std::string name;
  StringRule rule;
  FieldType type = FieldType::kString;
  // May be absent (or null): the body changes only what it names (a PATCH).
  bool optional = false;
  // A string field's allowed values, when they are a fixed set (an enumeration).
  std::vector<std::string> values;
  std::string description;
  std::string example;
  // Accepted for the tutorial's clients and never read (the document marks it deprecated).
  bool ignored = false;
};

// A JSON request body: an object whose fields are required strings unless `ignored` (the
// tutorial's pydantic models), `optional` or booleans. `name` is the schema's name in the OpenAPI
// document.
struct BodySchema {
  std::string name;
  std::string description;
  std::vector<FieldSpec> fields;
};

// The JSON Schema (2020-12, as OpenAPI 3.1 uses it) of what `schema` accepts: the same limits
// BodyValidator enforces.
boost::json::object json_schema(const BodySchema& schema);

// Field values by name.
using BodyFields = std::map<std::string, std::string, std::less<>>;

// Validates a JSON request body the way FastAPI does for the tutorial: every problem is collected
// into FastAPI's 422 list (`loc`, `msg`, `type`), so a client sees all missing fields at once.
// Numbers are accepted for string fields (pydantic v1 coerces them); other types are refused.
// Example:
//   BodyValidator v(request.message.body());
//   BodyFields fields = v.read(login_schema);
//   if (!v.ok()) return v.response();
//   const std::string& email = fields.at("email");
class BodyValidator {
 public:
  explicit BodyValidator(std::string_view body);

  // The field's value, or nullopt with an issue recorded (or nullopt silently when the body itself
  // was not a JSON object, which is already recorded).
  std::optional<std::string> string_field(std::string_view name, const StringRule& rule);

  // A JSON boolean (pydantic's StrictBool: no "true" strings or numbers), or nullopt with an issue.
  std::optional<bool> bool_field(std::string_view name);

  // Every field of `schema` that is not ignored, by name (booleans as "true" or "false"); each
  // problem is recorded as by string_field. When ok(), every such field that is not optional is
  // in the result, and an optional one when the body has it.
  BodyFields read(const BodySchema& schema);

  // Whether the body is an object with this field (null counts as absent), for bodies that take
  // one set of fields or another: {"token"} or {"email", "code"}.
  bool has(std::string_view name) const;

  bool ok() const { return issues_.empty(); }
  const std::vector<ValidationIssue>& issues() const { return issues_; }
  Response response() const { return validation_response(issues_); }

 private:
  void add(std::string_view field, std::string msg, std::string type);

  std::optional<boost::json::object> object_;
  std::vector<ValidationIssue> issues_;
};

// email-validator's syntax check as pydantic's EmailStr uses it (no deliverability check):
// local@domain, local part of RFC 5322 atoms, domain of LDH labels with an alphabetic TLD.
bool is_valid_email(std::string_view email);

// Number of Unicode code points in valid UTF-8 text.
std::size_t utf8_length(std::string_view text);

}  // namespace gatehouse::http
