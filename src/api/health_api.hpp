#pragma once

#include "http/router.hpp"
#include "store/store.hpp"

namespace gatehouse::api {

// Liveness (the tutorial's /api/healthchecker, answered on the I/O thread) and readiness
// (/api/readyz: a database round trip on a worker; 503 while the database is unreachable).
class HealthApi final {
 public:
  explicit HealthApi(store::Store& store);
  void add_routes(http::Router& router) const;

 private:
  store::Store& store_;
};

}  // namespace gatehouse::api
