#include "mail/mail_message.hpp"

#include <array>
#include <cctype>
#include <ctime>

#include "auth/jws.hpp"

namespace gatehouse::mail {

namespace {

constexpr std::string_view kHex = "0123456789ABCDEF";
constexpr std::size_t kMaxLine = 76;  // RFC 2045: encoded lines of at most 76 characters

bool is_printable_ascii(std::string_view s) {
  for (const char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

bool breaks_header(std::string_view s) {
  return s.find_first_of("\r\n") != std::string_view::npos ||
         s.find('\0') != std::string_view::npos;
}

// Standard base64 with padding (RFC 2047's "B" encoding), from the base64url encoder.
std::string base64(std::string_view bytes) {
  std::string out = auth::base64url_encode(bytes);
  for (char& c : out) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (out.size() % 4 != 0) out += '=';
  return out;
}

// RFC 5322 date-time in UTC, e.g. "Wed, 02 Dec 2026 15:04:05 +0000".
std::string rfc5322_date(SysTime t) {
  const std::time_t secs = static_cast<std::time_t>(unix_seconds(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::array<char, 64> buf{};
  const std::size_t n = std::strftime(buf.data(), buf.size(), "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return std::string(buf.data(), n);
}

std::string domain_of(std::string_view address) {
  const std::size_t at = address.rfind('@');
  return at == std::string_view::npos ? std::string("localhost")
                                      : std::string(address.substr(at + 1));
}

}  // namespace

std::string quoted_printable(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  std::string line;  // the encoded current line, without its soft breaks so far
  const auto flush_line = [&](bool hard_break) {
    // A space or tab at the end of a line would be lost in transit: encode it.
    if (!line.empty() && (line.back() == ' ' || line.back() == '\t')) {
      const unsigned char c = static_cast<unsigned char>(line.back());
      line.pop_back();
      line += '=';
      line += kHex[c >> 4];
      line += kHex[c & 0xF];
    }
    // Soft breaks ("=" at the end) keep each output line within 76 characters, never inside an
    // =XX triplet.
    std::size_t start = 0;
    while (line.size() - start > kMaxLine) {
      std::size_t cut = start + kMaxLine - 1;
      if (line[cut - 1] == '=') {
        cut -= 1;
      } else if (line[cut - 2] == '=') {
        cut -= 2;
      }
      out.append(line, start, cut - start);
      out += "=\r\n";
      start = cut;
    }
    out.append(line, start);
    if (hard_break) out += "\r\n";
    line.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      flush_line(true);
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      continue;  // the "\n" that follows ends the line
    } else if ((c >= 33 && c <= 126 && c != '=') || c == ' ' || c == '\t') {
      line += static_cast<char>(c);
    } else {
      line += '=';
      line += kHex[c >> 4];
      line += kHex[c & 0xF];
    }
  }
  flush_line(false);
  return out;
}

std::string header_text(std::string_view text) {
  if (is_printable_ascii(text)) return std::string(text);
  // "=?UTF-8?B?" + base64 + "?=" within 75 characters: 45 bytes give 60 base64 characters.
  constexpr std::size_t kChunk = 45;
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = std::min(text.size(), start + kChunk);
    // Never split a UTF-8 sequence: move back over continuation bytes.
    while (end < text.size() && end > start &&
           (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
      --end;
    }
    if (!out.empty()) out += "\r\n ";  // folded: encoded words are separated by whitespace
    out += "=?UTF-8?B?" + base64(text.substr(start, end - start)) + "?=";
    start = end;
  }
  return out;
}

Result<std::string> render_message(const MailMessage& m, SysTime date, std::string_view id) {
  for (const std::string_view field :
       {std::string_view(m.from), std::string_view(m.to), std::string_view(m.subject),
        std::string_view(m.from_name), id}) {
    if (breaks_header(field)) {
      return Error{ErrorCode::kInternal, "mail header value with a line break refused"};
    }
  }
  for (const char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return Error{ErrorCode::kInternal, "message id holds more than [A-Za-z0-9._-]"};
    }
  }
  for (const std::string_view address : {std::string_view(m.from), std::string_view(m.to)}) {
    if (address.find('@') == std::string_view::npos || !is_printable_ascii(address) ||
        address.find_first_of(" <>\",") != std::string_view::npos) {
      return Error{ErrorCode::kInternal, "not a mail address: '" + std::string(address) + "'"};
    }
  }
  std::string out;
  out += "Date: " + rfc5322_date(date) + "\r\n";
  if (m.from_name.empty()) {
    out += "From: " + m.from + "\r\n";
  } else if (is_printable_ascii(m.from_name) &&
             m.from_name.find_first_of("\"\\") == std::string::npos) {
    out += "From: \"" + m.from_name + "\" <" + m.from + ">\r\n";
  } else {
    out += "From: " + header_text(m.from_name) + " <" + m.from + ">\r\n";
  }
  out += "To: " + m.to + "\r\n";
  out += "Subject: " + header_text(m.subject) + "\r\n";
  out += "Message-ID: <" + std::string(id) + "@" + domain_of(m.from) + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  // Mail for one person: automatic replies and list software should leave it alone.
  out += "Auto-Submitted: auto-generated\r\n";
  const auto part = [](std::string_view type, std::string_view body) {
    return "Content-Type: " + std::string(type) +
           "; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
           quoted_printable(body) + "\r\n";
  };
  if (m.html.empty()) {
    out += part("text/plain", m.text);
    return out;
  }
  // The boundary cannot occur in quoted-printable text ('=' is always encoded there, and "=_"
  // starts it), so it needs no check against the bodies.
  const std::string boundary = "=_gatehouse_" + std::string(id);
  out += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n";
  out += "--" + boundary + "\r\n" + part("text/plain", m.text);
  out += "--" + boundary + "\r\n" + part("text/html", m.html);
  out += "--" + boundary + "--\r\n";
  return out;
}

}  // namespace gatehouse::mail
