#pragma once

#include <ostream>

#include <boost/beast/http/status.hpp>

#include <string_view>

#include "core/error.hpp"

namespace gatehouse::http {

// How a domain error reaches a client: status and the `detail` text. The texts are the tutorial's
// where it has one, so its clients keep matching on them.
struct ErrorMapping {
  boost::beast::http::status status;
  std::string_view detail;
};

// The one table from ErrorCode to HTTP. Total over ErrorCode (a unit test walks every value).
ErrorMapping map_error(ErrorCode code);

}  // namespace gatehouse::http
