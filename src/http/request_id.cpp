#include "http/request_id.hpp"

namespace gatehouse::http {

bool is_well_formed_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (const char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '+' || c == '/' || c == '=' ||
                    c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace gatehouse::http
