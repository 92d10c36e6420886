// .env parsing and the process environment: the half of src/config/settings.hpp that turns text
// into an EnvMap. Validation of the values is in settings.cpp.

#include <unistd.h>  // environ

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "config/settings.hpp"

namespace gatehouse::config {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr std::string_view kExportKeyword = "export";

// Python's \s for ASCII text: what python-dotenv skips between bindings.
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Python's [^\S\r\n]: whitespace that does not end the line.
bool is_inline_space(char c) {
  return is_space(c) && c != '\n' && c != '\r';
}

bool is_valid_key(std::string_view key) {
  if (key.empty()) return false;
  auto is_letter = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
  };
  if (!is_letter(key.front())) return false;
  for (char c : key) {
    if (!is_letter(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

// A reader over the whole text, so quoted values may span lines as in python-dotenv (a PEM key
// in double quotes). Errors name the line where the binding starts.
class DotenvParser {
 public:
  DotenvParser(std::string_view text, std::string_view source) : text_(text), source_(source) {
    if (text_.starts_with(kUtf8Bom)) text_.remove_prefix(kUtf8Bom.size());
  }

  Result<EnvMap> parse() {
    EnvMap env;
    while (true) {
      skip_whitespace_and_newlines();
      if (at_end()) return env;
      binding_line_ = line_;
      if (peek() == '#') {  // full-line comment
        skip_rest_of_line();
        continue;
      }
      skip_export();
      std::string_view key = read_key();
      skip_inline_space();
      if (key.empty() || at_end() || peek() != '=') return fail("expected KEY=VALUE");
      if (!is_valid_key(key)) {
        return fail("invalid variable name (letters, digits and _, not starting with a digit)");
      }
      ++pos_;  // '='
      skip_inline_space();
      Result<std::string> value = read_value();
      if (!value) return std::move(value).error();
      // Trailing spaces and an optional comment, then the end of the line.
      skip_inline_space();
      if (!at_end() && peek() == '#') skip_to_end_of_line();
      if (!at_end() && !is_newline(peek())) {
        return fail("unexpected text after the closing quote");
      }
      env.insert_or_assign(std::string(key), std::move(*value));  // the last one wins
    }
  }

 private:
  static bool is_newline(char c) { return c == '\n' || c == '\r'; }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }

  // Consumes one character, counting "\n", "\r\n" and a lone "\r" as line ends.
  void advance() {
    const char c = text_[pos_++];
    if (c == '\n' || (c == '\r' && (at_end() || peek() != '\n'))) ++line_;
  }

  void skip_whitespace_and_newlines() {
    while (!at_end() && is_space(peek())) advance();
  }

  void skip_inline_space() {
    while (!at_end() && is_inline_space(peek())) ++pos_;
  }

  void skip_to_end_of_line() {
    while (!at_end() && !is_newline(peek())) ++pos_;
  }

  void skip_rest_of_line() {
    skip_to_end_of_line();
    if (!at_end()) advance();
  }

  // "export" followed by inline whitespace; a variable may itself be called "export".
  void skip_export() {
    const std::string_view rest = text_.substr(pos_);
    if (rest.starts_with(kExportKeyword) && rest.size() > kExportKeyword.size() &&
        is_inline_space(rest[kExportKeyword.size()])) {
      pos_ += kExportKeyword.size();
      skip_inline_space();
    }
  }

  // python-dotenv's unquoted key: everything up to '=', '#' or whitespace.
  std::string_view read_key() {
    const std::size_t start = pos_;
    while (!at_end() && peek() != '=' && peek() != '#' && !is_space(peek())) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  Result<std::string> read_value() {
    if (at_end() || is_newline(peek())) return std::string();
    if (peek() == '\'' || peek() == '"') return read_quoted(peek());
    return read_unquoted();
  }

  // Up to the end of the line; " #..." starts a comment (a '#' glued to the value does not),
  // and trailing whitespace is dropped.
  std::string read_unquoted() {
    const std::size_t start = pos_;
    skip_to_end_of_line();
    std::string_view value = text_.substr(start, pos_ - start);
    for (std::size_t i = 1; i < value.size(); ++i) {
      if (value[i] == '#' && is_space(value[i - 1])) {
        value = value.substr(0, i);
        break;
      }
    }
    while (!value.empty() && is_space(value.back())) value.remove_suffix(1);
    return std::string(value);
  }

  // Single quotes: only \\ and \' are escapes. Double quotes: also \" \n \r \t \a \b \f \v.
  // Any other backslash stays as written, as in python-dotenv.
  Result<std::string> read_quoted(char quote) {
    advance();  // opening quote
    std::string value;
    while (!at_end()) {
      const char c = peek();
      if (c == quote) {
        advance();
        return value;
      }
      if (c == '\\' && pos_ + 1 < text_.size()) {
        const char next = text_[pos_ + 1];
        const char decoded = decode_escape(quote, next);
        if (decoded != '\0') {
          value.push_back(decoded);
          advance();
          advance();
          continue;
        }
      }
      value.push_back(c);
      advance();
    }
    return fail(quote == '"' ? "unterminated double-quoted value"
                             : "unterminated single-quoted value");
  }

  // The character `\next` stands for inside `quote`s, or '\0' when it is not an escape there.
  static char decode_escape(char quote, char next) {
    if (next == '\\' || next == '\'') return next;
    if (quote == '\'') return '\0';
    switch (next) {
      case '"':
        return '"';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'a':
        return '\a';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'v':
        return '\v';
      default:
        return '\0';
    }
  }

  Error fail(std::string_view what) const {
    std::string where = source_.empty()
                            ? "line " + std::to_string(binding_line_)
                            : std::string(source_) + ":" + std::to_string(binding_line_);
    return Error{ErrorCode::kInternal, where + ": " + std::string(what)};
  }

  std::string_view text_;
  std::string_view source_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::size_t binding_line_ = 1;
};

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

Result<EnvMap> parse_dotenv(std::string_view text) {
  return DotenvParser(text, {}).parse();
}

Result<EnvMap> read_dotenv_file(const std::filesystem::path& path) {
  const std::string name = path.string();
  auto cannot_read = [&name](int err) {
    return Error{ErrorCode::kInternal,
                 name + ": cannot read: " + std::generic_category().message(err)};
  };
  errno = 0;
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(name.c_str(), "rb"));
  if (!file) return cannot_read(errno);
  std::string text;
  char buffer[8192];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) text.append(buffer, n);
  if (std::ferror(file.get())) return cannot_read(errno != 0 ? errno : EIO);
  return DotenvParser(text, name).parse();
}

EnvMap process_environment() {
  EnvMap env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view var(*entry);
    const std::size_t eq = var.find('=');
    if (eq == std::string_view::npos) continue;
    // emplace keeps the first of duplicate names, which is the one getenv() would return.
    env.emplace(std::string(var.substr(0, eq)), std::string(var.substr(eq + 1)));
  }
  return env;
}

}  // namespace gatehouse::config
