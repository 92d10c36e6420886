#pragma once

#include <array>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace gatehouse::mail {

// What a mail says. Its name is the outbox row's `kind` and the templates' file names.
enum class MailKind {
  kVerifyEmail,        // link and code that verify the account's address
  kResetPassword,      // link and code that set a new password
  kChangeEmail,        // to the new address: link and code that confirm the change
  kEmailChangeNotice,  // to the old address: a change was asked for
  kEmailInUse,         // to the new address when another account has it
  kPasswordChanged,    // after a change or a reset
};
inline constexpr std::size_t kMailKinds = 6;

std::string_view to_string(MailKind kind);
std::optional<MailKind> parse_mail_kind(std::string_view text);

// The values a template may use, as {{app_name}}, {{email}} (the recipient), {{new_email}},
// {{link}}, {{code}} and {{expires}} ("30 minutes"). In HTML they are escaped.
struct TemplateValues {
  std::string app_name;
  std::string email;
  std::string new_email;
  std::string link;
  std::string code;
  std::string expires;
};

struct RenderedMail {
  std::string subject;
  std::string text;
  std::string html;
};

// The mail templates: for each kind, <kind>.subject.txt (one line), <kind>.txt and <kind>.html,
// compiled in from templates/mail/ and each replaceable by a file of the same name in
// MAIL_TEMPLATES_DIR. Loaded and checked once at start-up; immutable and thread-safe after.
class MailTemplates {
 public:
  // kInternal naming the file when an override cannot be read, is not UTF-8, or uses a
  // placeholder that is not one of TemplateValues'.
  static Result<MailTemplates> load(const std::optional<std::filesystem::path>& override_dir);

  RenderedMail render(MailKind kind, const TemplateValues& values) const;

 private:
  struct Set {
    std::string subject;
    std::string text;
    std::string html;
  };
  std::array<Set, kMailKinds> sets_;
};

// "{{name}}" placeholders of `text` replaced by `values`; HTML-escaped when `html`. nullopt (with
// the name in `unknown`) when a placeholder names no value.
std::optional<std::string> fill_template(std::string_view text, const TemplateValues& values,
                                         bool html, std::string* unknown = nullptr);

// A lifetime as a mail says it: "30 minutes", "1 hour", "24 hours", "90 minutes".
std::string describe_minutes(long minutes);

}  // namespace gatehouse::mail
