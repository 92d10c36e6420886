#pragma once
// The fixture of the store's contract suites (store_contract_test.cpp,
// mail_store_contract_test.cpp): a fresh database of one backend of all_backends(), migrated to the
// latest version, and a store over it. A suite derives from it and is instantiated over
// testing::all_backends().

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/sql/sql_store.hpp"
#include "store_backends.hpp"
#include "store_test_support.hpp"
#include "test_backend_table.hpp"

namespace gatehouse::store::testing {

class StoreContractFixture : public ::testing::TestWithParam<NamedBackend> {
 protected:
  void SetUp() override {
    backend_ = GetParam().make();
    if (auto why = backend_->create_database()) GTEST_SKIP() << *why;
    auto migrated = migrate(*backend_, "api_");
    ASSERT_TRUE(migrated) << migrated.error().internal;
    store_ = open_store(StoreSettings{});
    ASSERT_NE(store_, nullptr);
  }

  std::unique_ptr<sql::SqlStore> open_store(const StoreSettings& settings) {
    return store_or_fail(backend_->open_store(settings));
  }

  TestBackend& backend() { return *backend_; }
  User create(const std::string& email) { return add_user(*store_, email); }

  std::unique_ptr<TestBackend> backend_;  // declared first: its database outlives the stores
  std::unique_ptr<sql::SqlStore> store_;
};

}  // namespace gatehouse::store::testing
