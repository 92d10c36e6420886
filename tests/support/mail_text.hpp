#pragma once
// Readers of delivered mail for the unit and end-to-end tests: quoted-printable undone, and the
// link token and the 6-digit code of an account mail found in its text.

#include <cctype>
#include <regex>
#include <string>
#include <string_view>

namespace gatehouse::testing {

// `message` with quoted-printable undone: soft line breaks removed, =XX decoded.
inline std::string decode_quoted_printable(std::string_view m) {
  std::string out;
  for (std::size_t i = 0; i < m.size(); ++i) {
    if (m[i] == '=' && i + 1 < m.size() && (m[i + 1] == '\r' || m[i + 1] == '\n')) {
      i += (m[i + 1] == '\r' && i + 2 < m.size() && m[i + 2] == '\n') ? 2 : 1;
    } else if (m[i] == '=' && i + 2 < m.size() &&
               std::isxdigit(static_cast<unsigned char>(m[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(m[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(m.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += m[i];
    }
  }
  return out;
}

// The token after "#token=" in decoded mail text; empty when there is none.
inline std::string token_in_text(const std::string& text) {
  std::smatch m;
  if (std::regex_search(text, m, std::regex("#token=([A-Za-z0-9_-]+)"))) return m[1];
  return {};
}

// The 6-digit code after "code: " in decoded mail text; empty when there is none.
inline std::string code_in_text(const std::string& text) {
  std::smatch m;
  if (std::regex_search(text, m, std::regex("code: ([0-9]{6})"))) return m[1];
  return {};
}

}  // namespace gatehouse::testing
