#include "auth/account_mailer.hpp"

namespace gatehouse::auth {

namespace {

using Composed = std::variant<mail::ComposedMail, mail::DroppedMail>;

Composed drop(std::string reason) {
  return mail::DroppedMail{std::move(reason)};
}

}  // namespace

AccountMailer::AccountMailer(store::Store& store, const AccountTokens& tokens,
                             const mail::MailTemplates& templates, const Clock& clock,
                             AccountMailerSettings settings)
    : store_(store),
      tokens_(tokens),
      templates_(templates),
      clock_(clock),
      settings_(std::move(settings)) {}

mail::ComposedMail AccountMailer::make(mail::MailKind kind, const std::string& to,
                                       mail::TemplateValues values, std::string link) const {
  values.app_name = settings_.app_name;
  values.email = to;
  values.link = std::move(link);
  mail::RenderedMail rendered = templates_.render(kind, values);
  return mail::ComposedMail{.message = mail::MailMessage{.from = settings_.from,
                                                         .from_name = settings_.app_name,
                                                         .to = to,
                                                         .subject = std::move(rendered.subject),
                                                         .text = std::move(rendered.text),
                                                         .html = std::move(rendered.html)}};
}

Result<std::variant<MailSecret, mail::DroppedMail>> AccountMailer::secret_of(
    const store::OutboxMail& mail, std::string_view claimer, std::int64_t user_id,
    std::string_view purpose, std::chrono::minutes ttl) {
  using Out = std::variant<MailSecret, mail::DroppedMail>;
  if (mail.secret) {
    // A retry: the token was issued with the first attempt. Unless it was used or replaced by a
    // newer request meanwhile, the same link and code go out again.
    auto opened = tokens_.open(*mail.secret);
    if (!opened) return Out{mail::DroppedMail{"its secret was sealed with another server key"}};
    auto live = store_.find_account_token(tokens_.token_hash(opened->token));
    if (!live) return std::move(live).error();
    if (!live->has_value()) return Out{mail::DroppedMail{"its link was used or replaced"}};
    return Out{std::move(*opened)};
  }
  MailSecret secret = tokens_.generate();
  const SysTime now = clock_.now();
  const std::string token_hash = tokens_.token_hash(secret.token);
  const store::AccountToken token{.token_hash = token_hash,
                                  .user_id = user_id,
                                  .purpose = std::string(purpose),
                                  .code_hash = tokens_.code_hash(token_hash, secret.code),
                                  .email = mail.recipient,
                                  .created_at = now,
                                  .expires_at = now + ttl};
  auto issued = store_.issue_account_token(token, mail.id, claimer, tokens_.seal(secret));
  if (!issued) return std::move(issued).error();
  // Another sender took the row over meanwhile: it will issue and send; this one must not.
  if (!*issued)
    return Error{ErrorCode::kUnavailable, "mail " + std::to_string(mail.id) + ": claim lost"};
  return Out{std::move(secret)};
}

Result<Composed> AccountMailer::compose(const store::OutboxMail& m, std::string_view claimer) {
  const auto kind = mail::parse_mail_kind(m.kind);
  if (!kind) return drop("unknown kind '" + m.kind + "'");
  const SysTime now = clock_.now();
  const auto expires = [](std::chrono::minutes ttl) {
    return mail::describe_minutes(static_cast<long>(ttl.count()));
  };

  switch (*kind) {
    case mail::MailKind::kVerifyEmail:
    case mail::MailKind::kResetPassword: {
      const bool verify = *kind == mail::MailKind::kVerifyEmail;
      const std::chrono::minutes ttl =
          verify ? settings_.verify_token_ttl : settings_.reset_token_ttl;
      if (now >= m.created_at + ttl) return drop("its link would have expired before it was sent");
      std::int64_t user_id = 0;
      if (!m.secret) {
        auto user = store_.find_user_by_email(m.recipient);
        if (!user) return std::move(user).error();
        if (!user->has_value()) return drop("no account has this address");
        if (verify && (*user)->verified) return drop("the account is verified already");
        user_id = (*user)->id;
      }
      auto secret = secret_of(m, claimer, user_id, verify ? "verify_email" : "reset_password", ttl);
      if (!secret) return std::move(secret).error();
      if (auto* dropped = std::get_if<mail::DroppedMail>(&*secret)) return Composed{*dropped};
      const MailSecret& s = std::get<MailSecret>(*secret);
      const std::string page = verify ? "/auth/verify-email" : "/auth/reset-password";
      return Composed{make(*kind, m.recipient, {.code = s.code, .expires = expires(ttl)},
                           settings_.app_url + page + "#token=" + s.token)};
    }
    case mail::MailKind::kChangeEmail: {
      const std::chrono::minutes ttl = settings_.verify_token_ttl;
      if (now >= m.created_at + ttl) return drop("its link would have expired before it was sent");
      if (!m.user_id) return drop("no account named");
      auto user = store_.find_user_by_id(*m.user_id);
      if (!user) return std::move(user).error();
      if (!user->has_value()) return drop("the account is gone");
      if (!m.secret) {
        auto holder = store_.find_user_by_email(m.recipient);
        if (!holder) return std::move(holder).error();
        if (holder->has_value() && (*holder)->id != *m.user_id) {
          return Composed{make(mail::MailKind::kEmailInUse, m.recipient, {}, {})};
        }
      }
      auto secret = secret_of(m, claimer, *m.user_id, "change_email", ttl);
      if (!secret) return std::move(secret).error();
      if (auto* dropped = std::get_if<mail::DroppedMail>(&*secret)) return Composed{*dropped};
      const MailSecret& s = std::get<MailSecret>(*secret);
      return Composed{make(*kind, m.recipient, {.code = s.code, .expires = expires(ttl)},
                           settings_.app_url + "/auth/verify-email#token=" + s.token)};
    }
    case mail::MailKind::kEmailChangeNotice: {
      if (!m.secret) return drop("no new address to name");
      auto opened = tokens_.open(*m.secret);
      if (!opened) return drop("its secret was sealed with another server key");
      return Composed{make(*kind, m.recipient, {.new_email = opened->new_email}, {})};
    }
    case mail::MailKind::kEmailInUse:
    case mail::MailKind::kPasswordChanged:
      return Composed{make(*kind, m.recipient, {}, {})};
  }
  return drop("unknown kind '" + m.kind + "'");
}

}  // namespace gatehouse::auth
