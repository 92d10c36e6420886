// SqlStore: managed signing keys (`{prefix}signing_key`).

#include "store/sql/sql_rows.hpp"
#include "store/sql/sql_store.hpp"

namespace gatehouse::store::sql {

constexpr Query kListSigningKeys{.name = "list_signing_keys", .sql = R"sql(
SELECT generation, kid, algorithm, public_pem, private_sealed, created_at, signs_from
FROM {{prefix}}signing_key ORDER BY generation
)sql"};

Result<std::vector<SigningKeyRow>> SqlStore::list_signing_keys() {
  return db_->read([&](Connection& conn) {
    return all_rows(conn, kListSigningKeys, {}, [](const Cursor& row) {
      SigningKeyRow key;
      key.generation = row.int64(0);
      key.kid = row.text(1);
      key.algorithm = row.text(2);
      key.public_pem = row.text(3);
      key.private_sealed = row.text(4);
      key.created_at = from_unix_seconds(row.int64(5));
      key.signs_from = from_unix_seconds(row.int64(6));
      return key;
    });
  });
}

constexpr Query kInsertSigningKey{.name = "insert_signing_key", .sql = R"sql(
INSERT INTO {{prefix}}signing_key
  (generation, kid, algorithm, public_pem, private_sealed, created_at, signs_from)
VALUES (?, ?, ?, ?, ?, ?, ?)
)sql"};

Result<bool> SqlStore::insert_signing_key(const SigningKeyRow& row) {
  // In a transaction: without a COMMIT a lost connection leaves no row, so repeating is safe. A
  // taken generation rolls back (PostgreSQL cannot go on in a failed transaction) and is told
  // apart from other failures by the connection's last failure.
  bool taken = false;
  auto inserted = db_->transaction([&](Connection& conn) -> Status {
    taken = false;
    auto run = conn.run(kInsertSigningKey,
                        {row.generation, row.kid, row.algorithm, row.public_pem, row.private_sealed,
                         unix_seconds(row.created_at), unix_seconds(row.signs_from)});
    if (!run) {
      taken = conn.last_failure() == FailureKind::kUniqueViolation;
      return std::move(run).error();
    }
    return ok_status();
  });
  if (!inserted) {
    if (taken) return false;
    return std::move(inserted).error();
  }
  return true;
}

constexpr Query kDeleteSigningKey{.name = "delete_signing_key", .sql = R"sql(
DELETE FROM {{prefix}}signing_key WHERE generation = ?
)sql"};

Status SqlStore::delete_signing_key(std::int64_t generation) {
  return db_->write([&](Connection& conn) -> Status {
    auto deleted = conn.run(kDeleteSigningKey, {generation});
    if (!deleted) return std::move(deleted).error();
    return ok_status();
  });
}

}  // namespace gatehouse::store::sql
