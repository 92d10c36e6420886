#pragma once
// The version numbers of a list of migrations, for the migration tests to compare.

#include <vector>

#include "store/migrations.hpp"

namespace gatehouse::store::testing {

template <class M>
std::vector<int> versions(const std::vector<M>& migrations) {
  std::vector<int> out;
  for (const auto& m : migrations) out.push_back(m.version);
  return out;
}

}  // namespace gatehouse::store::testing
