#include "http/router.hpp"

#include "http/whitespace.hpp"

namespace gatehouse::http {

namespace {

// Matches `path` against `pattern` segment by segment; fills `params` for `{...}` segments.
bool match_pattern(std::string_view pattern, std::string_view path,
                   std::vector<std::string>& params) {
  params.clear();
  while (true) {
    if (pattern.empty() || path.empty()) return pattern.empty() && path.empty();
    if (pattern.front() != '/' || path.front() != '/') return false;
    pattern.remove_prefix(1);
    path.remove_prefix(1);
    const auto pe = pattern.find('/');
    const auto qe = path.find('/');
    const std::string_view pseg = pattern.substr(0, pe);
    const std::string_view qseg = path.substr(0, qe);
    if (pseg.size() >= 2 && pseg.front() == '{' && pseg.back() == '}') {
      if (qseg.empty()) return false;
      params.emplace_back(qseg);
    } else if (pseg != qseg) {
      return false;
    }
    pattern = pe == std::string_view::npos ? std::string_view{} : pattern.substr(pe);
    path = qe == std::string_view::npos ? std::string_view{} : path.substr(qe);
  }
}

}  // namespace

void Router::add(boost::beast::http::verb method, std::string pattern, Execution execution,
                 Handler handler, Operation doc) {
  const Body body = doc.body.empty() ? Body::kNone : Body::kJson;
  routes_.push_back(Route{method, std::move(pattern), execution, std::move(handler), body,
                          std::move(doc), routes_.size()});
}

bool is_json_media_type(std::string_view content_type) {
  std::string type(trim_ows(content_type.substr(0, content_type.find(';'))));
  for (char& c : type) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
  constexpr std::string_view kApplication = "application/";
  if (type.rfind(kApplication, 0) != 0) return false;
  const std::string_view subtype = std::string_view(type).substr(kApplication.size());
  constexpr std::string_view kSuffix = "+json";
  return subtype == "json" || (subtype.size() > kSuffix.size() &&
                               subtype.substr(subtype.size() - kSuffix.size()) == kSuffix &&
                               subtype.find('/') == std::string_view::npos);
}

Router::Match Router::match(boost::beast::http::verb method, std::string_view path) const {
  using boost::beast::http::verb;
  const verb wanted = method == verb::head ? verb::get : method;
  Match m;
  std::vector<std::string> params;
  for (const Route& route : routes_) {
    if (!match_pattern(route.pattern, path, params)) continue;
    if (route.method == wanted) {
      m.route = &route;
      m.params = std::move(params);
      return m;
    }
    m.error = ErrorCode::kMethodNotAllowed;
  }
  return m;
}

}  // namespace gatehouse::http
