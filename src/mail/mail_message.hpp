#pragma once

#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace gatehouse::mail {

// One mail to one recipient, as templates render it: a plain-text body and an HTML alternative.
struct MailMessage {
  std::string from;       // an address, e.g. "no-reply@example.com"
  std::string from_name;  // shown beside it, e.g. the APP_NAME; may be empty
  std::string to;
  std::string subject;  // UTF-8, one line
  std::string text;     // UTF-8
  std::string html;     // UTF-8; empty: a text-only mail
};

// The RFC 5322 message (CRLF line ends) of `message`: Date, From, To, Subject, Message-ID,
// MIME-Version and a multipart/alternative body (or one text part), every part UTF-8 in
// quoted-printable; a non-ASCII subject or sender name as an RFC 2047 encoded word. `id`
// ([A-Za-z0-9._-], unique: the mail's outbox id and a random part) is the Message-ID's left part
// and names the MIME boundary; the Message-ID's right part is the sender's domain. kInternal when a
// header value would break the header (a CR or LF in an address, the subject or the name; an
// address without '@'), so a caller cannot inject headers.
Result<std::string> render_message(const MailMessage& message, SysTime date, std::string_view id);

// Quoted-printable (RFC 2045 §6.7) of UTF-8 text whose lines end in "\n" or "\r\n": lines of at
// most 76 characters with soft breaks, CRLF line ends, '=' and non-ASCII bytes as =XX.
std::string quoted_printable(std::string_view text);

// `text` as it may stand in a header: itself when printable ASCII, else one or more RFC 2047
// encoded words (=?UTF-8?B?...?=), each at most 75 characters, never splitting a UTF-8 sequence.
std::string header_text(std::string_view text);

}  // namespace gatehouse::mail
