#include "mail/templates.hpp"

#include <fstream>
#include <sstream>

#include "core/embedded_files.hpp"

namespace gatehouse::mail {

namespace {

constexpr std::array<std::string_view, kMailKinds> kKindNames = {
    "verify_email",        "reset_password", "change_email",
    "email_change_notice", "email_in_use",   "password_changed"};

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

const std::string* value_of(std::string_view name, const TemplateValues& v) {
  if (name == "app_name") return &v.app_name;
  if (name == "email") return &v.email;
  if (name == "new_email") return &v.new_email;
  if (name == "link") return &v.link;
  if (name == "code") return &v.code;
  if (name == "expires") return &v.expires;
  return nullptr;
}

bool is_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80           ? 1
                      : (c >> 5) == 0x6  ? 2
                      : (c >> 4) == 0xE  ? 3
                      : (c >> 3) == 0x1E ? 4
                                         : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

std::optional<std::string_view> embedded_template(std::string_view filename) {
  for (const embedded::EmbeddedFile& file : embedded::mail_template_files()) {
    if (file.filename == filename) return file.content;
  }
  return std::nullopt;
}

// The override in `dir` when it exists, else the compiled-in file; checked against every value.
Result<std::string> load_one(const std::optional<std::filesystem::path>& dir,
                             const std::string& filename) {
  std::string text;
  std::string origin = "compiled-in template " + filename;
  std::error_code ec;
  if (dir && std::filesystem::exists(*dir / filename, ec)) {
    origin = (*dir / filename).string();
    std::ifstream in(*dir / filename, std::ios::binary);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (!in.good() && !in.eof()) {
      return Error{ErrorCode::kInternal, "MAIL_TEMPLATES_DIR: cannot read " + origin};
    }
    text = buffer.str();
  } else if (auto built_in = embedded_template(filename)) {
    text = std::string(*built_in);
  } else {
    return Error{ErrorCode::kInternal, "no compiled-in mail template " + filename};
  }
  if (!is_utf8(text)) {
    return Error{ErrorCode::kInternal, "MAIL_TEMPLATES_DIR: " + origin + " is not UTF-8"};
  }
  std::string unknown;
  if (!fill_template(text, TemplateValues{}, false, &unknown)) {
    return Error{ErrorCode::kInternal,
                 "MAIL_TEMPLATES_DIR: " + origin + " uses {{" + unknown +
                     "}}; the values are app_name, email, new_email, link, code and expires"};
  }
  return text;
}

}  // namespace

std::string_view to_string(MailKind kind) {
  return kKindNames[static_cast<std::size_t>(kind)];
}

std::optional<MailKind> parse_mail_kind(std::string_view text) {
  for (std::size_t i = 0; i < kMailKinds; ++i) {
    if (kKindNames[i] == text) return static_cast<MailKind>(i);
  }
  return std::nullopt;
}

std::optional<std::string> fill_template(std::string_view text, const TemplateValues& values,
                                         bool html, std::string* unknown) {
  std::string out;
  out.reserve(text.size() + 128);
  std::size_t pos = 0;
  while (true) {
    const std::size_t open = text.find("{{", pos);
    const std::size_t close = open == std::string_view::npos ? open : text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      out.append(text.substr(pos));
      return out;
    }
    out.append(text.substr(pos, open - pos));
    const std::string_view name = text.substr(open + 2, close - open - 2);
    const std::string* value = value_of(name, values);
    if (value == nullptr) {
      if (unknown != nullptr) *unknown = std::string(name);
      return std::nullopt;
    }
    out += html ? html_escape(*value) : *value;
    pos = close + 2;
  }
}

std::string describe_minutes(long minutes) {
  if (minutes % 60 == 0) {
    const long hours = minutes / 60;
    return std::to_string(hours) + (hours == 1 ? " hour" : " hours");
  }
  return std::to_string(minutes) + (minutes == 1 ? " minute" : " minutes");
}

Result<MailTemplates> MailTemplates::load(const std::optional<std::filesystem::path>& dir) {
  MailTemplates out;
  for (std::size_t i = 0; i < kMailKinds; ++i) {
    const std::string base(kKindNames[i]);
    auto subject = load_one(dir, base + ".subject.txt");
    if (!subject) return std::move(subject).error();
    auto text = load_one(dir, base + ".txt");
    if (!text) return std::move(text).error();
    auto html = load_one(dir, base + ".html");
    if (!html) return std::move(html).error();
    // One line: the first, without its line end.
    std::string line = subject->substr(0, subject->find_first_of("\r\n"));
    if (line.empty()) {
      return Error{ErrorCode::kInternal, "mail template " + base + ".subject.txt is empty"};
    }
    out.sets_[i] = Set{std::move(line), std::move(*text), std::move(*html)};
  }
  return out;
}

RenderedMail MailTemplates::render(MailKind kind, const TemplateValues& values) const {
  const Set& set = sets_[static_cast<std::size_t>(kind)];
  // load() checked every placeholder, so filling cannot fail here.
  RenderedMail out;
  out.subject = fill_template(set.subject, values, false).value_or(set.subject);
  out.text = fill_template(set.text, values, false).value_or(set.text);
  out.html = fill_template(set.html, values, true).value_or(set.html);
  return out;
}

}  // namespace gatehouse::mail
