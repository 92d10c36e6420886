#pragma once

#include <chrono>
#include <string>

#include "auth/account_tokens.hpp"
#include "core/clock.hpp"
#include "mail/outbox_sender.hpp"
#include "mail/templates.hpp"
#include "store/store.hpp"

namespace gatehouse::auth {

struct AccountMailerSettings {
  std::string app_name = "Gatehouse";
  std::string
      app_url;       // links: APP_URL/auth/verify-email#token=..., APP_URL/auth/reset-password#...
  std::string from;  // MAIL_FROM
  std::chrono::minutes verify_token_ttl{24 * 60};
  std::chrono::minutes reset_token_ttl{30};
};

// Composes the account mails of the outbox (mail::MailComposer), on the sender's thread. A request
// queued only an address; here it is resolved: a verification or reset for an address without an
// account (or already verified) is dropped, an e-mail change to an address another account has
// becomes a notice to it. A token is issued under the sender's claim and in one transaction with
// the sealed secret on the outbox row (store::AccountStore::issue_account_token), so a retry sends
// the same link and code. The token travels after '#' in the link: a browser never sends it to a
// server on GET, so neither logs nor the page's GET can spend or leak it.
class AccountMailer final : public mail::MailComposer {
 public:
  AccountMailer(store::Store& store, const AccountTokens& tokens,
                const mail::MailTemplates& templates, const Clock& clock,
                AccountMailerSettings settings);

  Result<std::variant<mail::ComposedMail, mail::DroppedMail>> compose(
      const store::OutboxMail& mail, std::string_view claimer) override;

 private:
  // The mail's secret: opened from the row, or issued now (a new token of `purpose`) when the row
  // has none. A DroppedMail when the row's seal cannot be opened or its token is gone.
  Result<std::variant<MailSecret, mail::DroppedMail>> secret_of(const store::OutboxMail& mail,
                                                                std::string_view claimer,
                                                                std::int64_t user_id,
                                                                std::string_view purpose,
                                                                std::chrono::minutes ttl);
  mail::ComposedMail make(mail::MailKind kind, const std::string& to, mail::TemplateValues values,
                          std::string link) const;

  store::Store& store_;
  const AccountTokens& tokens_;
  const mail::MailTemplates& templates_;
  const Clock& clock_;
  AccountMailerSettings settings_;
};

}  // namespace gatehouse::auth
