#include "http/body_validator.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>

namespace gatehouse::http {

namespace json = boost::json;

BodyValidator::BodyValidator(std::string_view body) {
  json::parse_options options;
  options.max_depth = 16;
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec, {}, options);
  if (ec) {
    issues_.push_back({{"body"}, "Expecting value: invalid JSON", "value_error.jsondecode"});
    return;
  }
  if (!parsed.is_object()) {
    issues_.push_back({{"body"}, "value is not a valid dict", "type_error.dict"});
    return;
  }
  object_ = std::move(parsed.as_object());
}

void BodyValidator::add(std::string_view field, std::string msg, std::string type) {
  issues_.push_back({{"body", std::string(field)}, std::move(msg), std::move(type)});
}

bool BodyValidator::has(std::string_view name) const {
  if (!object_) return false;
  const json::value* v = object_->if_contains(name);
  return v != nullptr && !v->is_null();
}

std::optional<std::string> BodyValidator::string_field(std::string_view name,
                                                       const StringRule& rule) {
  if (!object_) return std::nullopt;
  const json::value* v = object_->if_contains(name);
  if (v == nullptr) {
    add(name, "field required", "value_error.missing");
    return std::nullopt;
  }
  std::string value;
  if (v->is_string()) {
    value = std::string(v->get_string());
  } else if (v->is_int64() || v->is_uint64() || v->is_double()) {
    value = json::serialize(*v);
  } else if (v->is_null()) {
    add(name, "none is not an allowed value", "type_error.none.not_allowed");
    return std::nullopt;
  } else {
    add(name, "str type expected", "type_error.str");
    return std::nullopt;
  }
  if (value.size() > rule.max_bytes) {
    add(name, "ensure this value has at most " + std::to_string(rule.max_bytes) + " bytes",
        "value_error.any_str.max_length");
    return std::nullopt;
  }
  const std::size_t chars = utf8_length(value);
  if (chars < rule.min_chars) {
    add(name, "ensure this value has at least " + std::to_string(rule.min_chars) + " characters",
        "value_error.any_str.min_length");
    return std::nullopt;
  }
  if (chars > rule.max_chars) {
    add(name, "ensure this value has at most " + std::to_string(rule.max_chars) + " characters",
        "value_error.any_str.max_length");
    return std::nullopt;
  }
  if (rule.email && !is_valid_email(value)) {
    add(name, "value is not a valid email address", "value_error.email");
    return std::nullopt;
  }
  return value;
}

std::optional<bool> BodyValidator::bool_field(std::string_view name) {
  if (!object_) return std::nullopt;
  const json::value* v = object_->if_contains(name);
  if (v == nullptr) {
    add(name, "field required", "value_error.missing");
    return std::nullopt;
  }
  if (!v->is_bool()) {
    add(name, "value is not a valid boolean", "type_error.bool");
    return std::nullopt;
  }
  return v->get_bool();
}

BodyFields BodyValidator::read(const BodySchema& schema) {
  BodyFields fields;
  for (const FieldSpec& field : schema.fields) {
    if (field.ignored || (field.optional && !has(field.name))) continue;
    if (field.type == FieldType::kBoolean) {
      if (auto value = bool_field(field.name))
        fields.emplace(field.name, *value ? "true" : "false");
      continue;
    }
    auto value = string_field(field.name, field.rule);
    if (!value) continue;
    if (!field.values.empty() &&
        std::find(field.values.begin(), field.values.end(), *value) == field.values.end()) {
      std::string permitted;
      for (const std::string& v : field.values) {
        permitted += (permitted.empty() ? "'" : ", '") + v + "'";
      }
      add(field.name, "value is not a valid enumeration member; permitted: " + permitted,
          "type_error.enum");
      continue;
    }
    fields.emplace(field.name, std::move(*value));
  }
  return fields;
}

json::object json_schema(const BodySchema& schema) {
  constexpr auto kUnlimited = std::numeric_limits<std::size_t>::max();
  json::object properties;
  json::array required;
  for (const FieldSpec& field : schema.fields) {
    json::object p;
    std::string description = field.description;
    if (field.ignored) {
      p["deprecated"] = true;
    } else if (field.type == FieldType::kBoolean) {
      p["type"] = "boolean";
      if (!field.optional) required.emplace_back(field.name);
    } else {
      const StringRule& rule = field.rule;
      p["type"] = "string";
      if (rule.email) p["format"] = "email";
      if (rule.min_chars > 0) p["minLength"] = rule.min_chars;
      // A byte limit bounds the characters too; its exact meaning goes into the description.
      const std::size_t max_chars = std::min(rule.max_chars, rule.max_bytes);
      if (max_chars != kUnlimited) p["maxLength"] = max_chars;
      if (rule.max_bytes != kUnlimited) {
        if (!description.empty()) description += " ";
        description += "At most " + std::to_string(rule.max_bytes) + " bytes of UTF-8.";
      }
      if (!field.values.empty()) {
        json::array values;
        for (const std::string& v : field.values) values.emplace_back(v);
        p["enum"] = std::move(values);
      }
      if (!field.optional) required.emplace_back(field.name);
    }
    if (!description.empty()) p["description"] = description;
    if (!field.example.empty()) p["examples"] = json::array{json::string(field.example)};
    properties[field.name] = std::move(p);
  }
  json::object out{{"title", schema.name}, {"type", "object"}};
  if (!schema.description.empty()) out["description"] = schema.description;
  out["properties"] = std::move(properties);
  out["required"] = std::move(required);
  return out;
}

std::size_t utf8_length(std::string_view text) {
  std::size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

namespace {

bool is_atext(unsigned char c) {
  if (std::isalnum(c)) return true;
  constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~";
  return kSpecials.find(static_cast<char>(c)) != std::string_view::npos;
}

bool valid_local(std::string_view local) {
  if (local.empty() || local.size() > 64 || local.front() == '.' || local.back() == '.')
    return false;
  char prev = 0;
  for (char c : local) {
    if (c == '.') {
      if (prev == '.') return false;
    } else if (!is_atext(static_cast<unsigned char>(c))) {
      return false;
    }
    prev = c;
  }
  return true;
}

bool valid_domain(std::string_view domain) {
  if (domain.empty() || domain.size() > 253) return false;
  std::size_t labels = 0;
  std::string_view last;
  while (true) {
    const auto dot = domain.find('.');
    const std::string_view label = domain.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (unsigned char c : label) {
      if (!std::isalnum(c) && c != '-') return false;
    }
    ++labels;
    last = label;
    if (dot == std::string_view::npos) break;
    domain.remove_prefix(dot + 1);
  }
  if (labels < 2) return false;
  for (unsigned char c : last) {
    if (!std::isalpha(c)) return false;
  }
  return last.size() >= 2;
}

}  // namespace

bool is_valid_email(std::string_view email) {
  if (email.size() > 254) return false;
  const auto at = email.rfind('@');
  if (at == std::string_view::npos) return false;
  return valid_local(email.substr(0, at)) && valid_domain(email.substr(at + 1));
}

}  // namespace gatehouse::http
