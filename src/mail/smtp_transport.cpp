#include "mail/smtp_transport.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace gatehouse::mail {

namespace {

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// The message, handed to libcurl in pieces as it uploads.
struct Upload {
  std::string_view rest;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const std::size_t n = std::min(size * count, upload->rest.size());
  std::memcpy(buffer, upload->rest.data(), n);
  upload->rest.remove_prefix(n);
  return n;
}

// "<address>" as SMTP's MAIL FROM and RCPT TO take it.
std::string angle(std::string_view address) {
  // Appended, not "<" + ... + ">": GCC 12 warns wrongly (-Wrestrict) on that chain.
  std::string out;
  out.reserve(address.size() + 2);
  out += '<';
  out += address;
  out += '>';
  return out;
}

}  // namespace

SmtpTransport::SmtpTransport(config::SmtpSettings settings, std::chrono::seconds timeout)
    : settings_(std::move(settings)), timeout_(timeout) {
  const bool v6 = settings_.host.find(':') != std::string::npos;
  url_ = std::string(settings_.tls == config::SmtpSettings::Tls::kImplicit ? "smtps" : "smtp") +
         "://" + (v6 ? "[" + settings_.host + "]" : settings_.host) + ":" +
         std::to_string(settings_.port);
}

std::string SmtpTransport::describe() const {
  using Tls = config::SmtpSettings::Tls;
  const char* tls = "";
  switch (settings_.tls) {
    case Tls::kImplicit:
      tls = "TLS";
      break;
    case Tls::kStartTlsRequired:
      tls = "STARTTLS required";
      break;
    case Tls::kStartTlsIfOffered:
      tls = "STARTTLS when offered";
      break;
    case Tls::kOff:
      tls = "no TLS";
      break;
  }
  return url_ + " (" + tls + (settings_.user.empty() ? "" : ", authenticated") + ")";
}

Status SmtpTransport::send(const Envelope& envelope, std::string_view message) {
  using Tls = config::SmtpSettings::Tls;
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return Error{ErrorCode::kUnavailable, "smtp: curl_easy_init failed"};
  CURL* h = curl.get();
  const std::string from = angle(envelope.from);
  std::unique_ptr<curl_slist, SlistDeleter> recipients(
      curl_slist_append(nullptr, angle(envelope.to).c_str()));
  Upload upload{message};
  char error[CURL_ERROR_SIZE] = {};

  curl_easy_setopt(h, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, &read_upload);
  curl_easy_setopt(h, CURLOPT_READDATA, &upload);
  curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM in a multi-threaded server
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(timeout_.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(timeout_.count()));
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  if (!settings_.user.empty()) {
    curl_easy_setopt(h, CURLOPT_USERNAME, settings_.user.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, settings_.password.c_str());
  }
  switch (settings_.tls) {
    case Tls::kImplicit:
    case Tls::kStartTlsRequired:
      curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
      break;
    case Tls::kStartTlsIfOffered:
      curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
      break;
    case Tls::kOff:
      curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_NONE));
      break;
  }

  const CURLcode rc = curl_easy_perform(h);
  if (rc == CURLE_OK) return ok_status();
  long reply = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply);
  std::string what = "smtp " + url_ + ": " + (error[0] != '\0' ? error : curl_easy_strerror(rc));
  if (reply != 0) what += " (reply " + std::to_string(reply) + ")";
  // A permanent refusal (5xx) will not change by trying again; everything else may.
  const bool permanent = reply >= 500 && reply < 600;
  return Error{permanent ? ErrorCode::kInternal : ErrorCode::kUnavailable, std::move(what)};
}

}  // namespace gatehouse::mail
