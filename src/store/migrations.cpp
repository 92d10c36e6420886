#include "store/migrations.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "core/embedded_files.hpp"
#include "store/sql_timestamp.hpp"

namespace gatehouse::store {

namespace {

constexpr std::string_view kPrefixPlaceholder = "{{prefix}}";
constexpr std::string_view kUpSuffix = ".up.sql";
constexpr std::string_view kDownSuffix = ".down.sql";
// Versions are at most nine digits, so they always fit an int.
constexpr std::size_t kMaxVersionDigits = 9;
constexpr std::size_t kMaxNameLength = 100;
constexpr std::string_view kAdoptedName = "create_user";

// What create_files writes into a new up file.
constexpr std::string_view kUpHeader =
    "-- {label} (up): describe the change here.\n"
    "-- Runs in one transaction together with its schema_migrations row; separate statements\n"
    "-- with ';'. Write {{prefix}} before every table and index name (DATABASE_PREFIX, e.g. "
    "\"api_\").\n"
    "-- Put the exact reverse into the .down.sql file.\n\n";

struct MigrationFileName {
  int version = 0;
  std::string name;
  bool up = false;
};

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// The leading version of "0012_rest": the digits before the first '_'; nullopt when there are
// none, too many, or no '_'.
std::optional<int> leading_version(std::string_view filename) {
  const auto underscore = filename.find('_');
  if (underscore == 0 || underscore == std::string_view::npos || underscore > kMaxVersionDigits) {
    return std::nullopt;
  }
  int version = 0;
  for (std::size_t i = 0; i < underscore; ++i) {
    const char c = filename[i];
    if (c < '0' || c > '9') return std::nullopt;
    version = version * 10 + (c - '0');
  }
  return version;
}

// "0002_create_session.up.sql" -> {2, "create_session", up}.
std::optional<MigrationFileName> parse_file_name(std::string_view filename) {
  MigrationFileName out;
  std::string_view stem;
  if (filename.ends_with(kUpSuffix)) {
    stem = filename.substr(0, filename.size() - kUpSuffix.size());
    out.up = true;
  } else if (filename.ends_with(kDownSuffix)) {
    stem = filename.substr(0, filename.size() - kDownSuffix.size());
  } else {
    return std::nullopt;
  }
  const auto version = leading_version(stem);
  if (!version || *version <= 0) return std::nullopt;
  const std::string_view name = stem.substr(stem.find('_') + 1);
  if (!valid_name(name)) return std::nullopt;
  out.version = *version;
  out.name = std::string(name);
  return out;
}

std::string four_digits(int version) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d", version);
  return buf;
}

// "0002_create_session": how files and messages name a migration.
std::string label(int version, std::string_view name) {
  return four_digits(version) + "_" + std::string(name);
}
std::string label(const Migration& m) {
  return label(m.version, m.name);
}

struct SqlFile {
  std::string filename;
  std::string content;
};

// Pairs up/down files into Migrations sorted by version. Errors name the offending file.
Result<std::vector<Migration>> pair_files(const std::vector<SqlFile>& files,
                                          std::string_view where) {
  struct Pair {
    Migration migration;
    std::string up_file;
    std::string down_file;
  };
  std::map<int, Pair> by_version;
  const auto fail = [&](const std::string& message) {
    return Error{ErrorCode::kInternal, "migrations in " + std::string(where) + ": " + message};
  };

  for (const SqlFile& file : files) {
    const auto parsed = parse_file_name(file.filename);
    if (!parsed) {
      return fail("bad file name '" + file.filename +
                  "' (expected NNNN_name.up.sql or NNNN_name.down.sql, name in [a-z0-9_])");
    }
    Pair& pair = by_version[parsed->version];
    std::string& slot = parsed->up ? pair.up_file : pair.down_file;
    const std::string& other = !pair.up_file.empty() ? pair.up_file : pair.down_file;
    if (!slot.empty() || (!other.empty() && pair.migration.name != parsed->name)) {
      return fail("'" + file.filename + "' has version " + std::to_string(parsed->version) +
                  ", which '" + (slot.empty() ? other : slot) + "' already uses");
    }
    slot = file.filename;
    pair.migration.version = parsed->version;
    pair.migration.name = parsed->name;
    (parsed->up ? pair.migration.up_sql : pair.migration.down_sql) = file.content;
  }

  std::vector<Migration> out;
  out.reserve(by_version.size());
  for (auto& [version, pair] : by_version) {
    if (pair.down_file.empty()) {
      return fail("'" + pair.up_file + "' has no matching '" + label(pair.migration) +
                  std::string(kDownSuffix) + "'");
    }
    if (pair.up_file.empty()) {
      return fail("'" + pair.down_file + "' has no matching '" + label(pair.migration) +
                  std::string(kUpSuffix) + "'");
    }
    out.push_back(std::move(pair.migration));
  }
  return out;
}

Result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  if (in) content << in.rdbuf();
  if (!in || in.bad()) {
    return Error{ErrorCode::kInternal, "migrations: cannot read '" + path.string() + "'"};
  }
  return content.str();
}

// Creates `path` and writes `content`, failing if it already exists ("x": O_EXCL).
Status write_new_file(const std::filesystem::path& path, std::string_view content) {
  std::FILE* f = std::fopen(path.c_str(), "wx");
  if (f == nullptr) {
    const int err = errno;
    return Error{ErrorCode::kInternal,
                 "migrations: cannot create '" + path.string() + "': " + std::strerror(err)};
  }
  const bool written = std::fwrite(content.data(), 1, content.size(), f) == content.size();
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed) {
    return Error{ErrorCode::kInternal, "migrations: cannot write '" + path.string() + "'"};
  }
  return ok_status();
}

Error wrap(const Error& error, std::string_view context) {
  return Error{error.code, std::string(context) + ": " + error.internal};
}

}  // namespace

std::string apply_prefix(std::string_view sql, std::string_view prefix) {
  std::string out;
  out.reserve(sql.size());
  std::size_t pos = 0;
  while (true) {
    const auto found = sql.find(kPrefixPlaceholder, pos);
    if (found == std::string_view::npos) break;
    out.append(sql.substr(pos, found - pos));
    out.append(prefix);
    pos = found + kPrefixPlaceholder.size();
  }
  out.append(sql.substr(pos));
  return out;
}

std::vector<Migration> embedded_migrations(std::string_view dialect) {
  if (dialect != "sqlite" && dialect != "mysql" && dialect != "postgresql") {
    throw std::invalid_argument("embedded_migrations: unknown dialect '" + std::string(dialect) +
                                "'");
  }
  std::vector<SqlFile> files;
  for (const embedded::EmbeddedFile& file : embedded::migration_files()) {
    if (file.folder == dialect) {
      files.push_back(SqlFile{std::string(file.filename), std::string(file.content)});
    }
  }
  auto migrations = pair_files(files, "migrations/" + std::string(dialect) + " (embedded)");
  // The embedded set is fixed at build time: a bad one is a bug in the source tree, which the
  // unit tests catch, not a condition to handle at run time.
  if (!migrations) throw std::logic_error(migrations.error().internal);
  return std::move(*migrations);
}

Result<std::vector<Migration>> load_migrations_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return Error{ErrorCode::kInternal,
                 "migrations: '" + dir.string() + "' is not a readable directory"};
  }
  std::vector<SqlFile> files;
  std::filesystem::directory_iterator it(dir, ec);
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const auto& path = it->path();
    // Anything that is not an .sql file (README, .gitkeep) is not a migration.
    if (path.extension() != ".sql" || !it->is_regular_file(ec)) continue;
    auto content = read_file(path);
    if (!content) return std::move(content).error();
    files.push_back(SqlFile{path.filename().string(), std::move(*content)});
  }
  if (ec) {
    return Error{ErrorCode::kInternal,
                 "migrations: cannot list '" + dir.string() + "': " + ec.message()};
  }
  return pair_files(files, dir.string());
}

Migrator::Migrator(MigrationTarget& target, std::vector<Migration> migrations, std::string prefix)
    : target_(target), migrations_(std::move(migrations)), prefix_(std::move(prefix)) {
  std::sort(migrations_.begin(), migrations_.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
}

Result<std::optional<std::string>> Migrator::adoption(
    const std::vector<AppliedMigration>& applied) {
  if (!applied.empty()) return std::optional<std::string>{};
  auto legacy = target_.legacy_schema(prefix_);
  if (!legacy) return legacy.error();
  // Without a user table there is nothing to keep, whatever alembic_version says (the tutorial's
  // downgrade, or an installation under another prefix): migrate from scratch.
  if (!legacy->user_table || !legacy->alembic_revision) return std::optional<std::string>{};
  const std::string& revision = *legacy->alembic_revision;
  if (revision != kTutorialAlembicRevision) {
    return Error{ErrorCode::kInternal,
                 "cannot adopt the database: it is at Alembic revision '" + revision +
                     "', and gatehouse adopts only the tutorial's revision '" +
                     std::string(kTutorialAlembicRevision) + "', whose " + prefix_ +
                     "user table it knows. Bring it to that revision with the tutorial's Alembic, "
                     "or migrate an empty database"};
  }
  const auto first = std::find_if(migrations_.begin(), migrations_.end(),
                                  [](const Migration& m) { return m.version == kAdoptedVersion; });
  if (first == migrations_.end() || first->name != kAdoptedName) {
    return Error{ErrorCode::kInternal, "cannot adopt the tutorial database (alembic revision " +
                                           revision + "): these migrations have no " +
                                           label(kAdoptedVersion, kAdoptedName) +
                                           " to record for its " + prefix_ + "user table"};
  }
  return std::optional<std::string>(revision);
}

Result<std::vector<Migration>> Migrator::up(std::optional<int> steps) {
  if (steps && *steps < 0) return Error{ErrorCode::kInternal, "migrate up: steps must be >= 0"};
  if (auto st = target_.ensure_version_table(); !st) return st.error();
  auto applied = target_.applied();
  if (!applied) return applied.error();
  std::set<int> applied_versions;
  for (const auto& a : *applied) applied_versions.insert(a.version);
  auto adopt = adoption(*applied);
  if (!adopt) return std::move(adopt).error();

  std::vector<Migration> done;
  for (const Migration& m : migrations_) {
    if (applied_versions.contains(m.version)) continue;
    if (steps && done.size() >= static_cast<std::size_t>(*steps)) break;
    // Adoption: the tutorial's table is the one this migration would create. Only its version
    // row is written (empty SQL), so the table keeps every row and id.
    Migration record_only;
    const bool adopting = *adopt && m.version == kAdoptedVersion;
    if (adopting) {
      record_only.version = m.version;
      record_only.name = m.name;
    }
    // Each migration commits on its own: those before a failing one stay applied.
    if (auto st = target_.apply(adopting ? record_only : m, true, prefix_); !st) {
      std::string context = "migration " + label(m) + " (up) failed";
      if (!done.empty()) {
        context += " after applying";
        for (const auto& d : done) context += " " + label(d);
      }
      return wrap(st.error(), context);
    }
    done.push_back(m);
  }
  return done;
}

Result<std::vector<Migration>> Migrator::down(int steps) {
  if (steps < 0) return Error{ErrorCode::kInternal, "migrate down: steps must be >= 0"};
  if (auto st = target_.ensure_version_table(); !st) return st.error();
  auto applied = target_.applied();
  if (!applied) return applied.error();
  std::sort(
      applied->begin(), applied->end(),
      [](const AppliedMigration& a, const AppliedMigration& b) { return a.version > b.version; });

  // Check every step first, so that an unknown migration stops the run before anything changes.
  std::vector<const Migration*> plan;
  for (const AppliedMigration& a : *applied) {
    if (plan.size() >= static_cast<std::size_t>(steps)) break;
    const auto it = std::find_if(migrations_.begin(), migrations_.end(),
                                 [&](const Migration& m) { return m.version == a.version; });
    if (it == migrations_.end()) {
      return Error{ErrorCode::kInternal, "cannot revert migration " + label(a.version, a.name) +
                                             ": this binary does not know it (applied by a newer "
                                             "gatehouse?)"};
    }
    if (it->name != a.name) {
      return Error{ErrorCode::kInternal, "cannot revert migration " + label(a.version, a.name) +
                                             ": this binary's version " +
                                             std::to_string(a.version) + " is " + label(*it)};
    }
    plan.push_back(&*it);
  }

  std::vector<Migration> done;
  for (const Migration* m : plan) {
    if (auto st = target_.apply(*m, false, prefix_); !st) {
      return wrap(st.error(), "migration " + label(*m) + " (down) failed");
    }
    done.push_back(*m);
  }
  return done;
}

Result<MigrationStatus> Migrator::status() {
  if (auto st = target_.ensure_version_table(); !st) return st.error();
  auto applied = target_.applied();
  if (!applied) return applied.error();
  std::set<int> known;
  for (const auto& m : migrations_) known.insert(m.version);
  std::set<int> applied_versions;

  MigrationStatus out;
  if (applied->empty()) {
    // What up() would do, including its error for a revision it cannot adopt.
    auto adopt = adoption(*applied);
    if (!adopt) return std::move(adopt).error();
    out.adopted_from = std::move(*adopt);
  } else if (std::any_of(applied->begin(), applied->end(),
                         [](const AppliedMigration& a) { return a.version == kAdoptedVersion; })) {
    // Adopted earlier: alembic_version stayed, next to the tutorial's user table.
    auto legacy = target_.legacy_schema(prefix_);
    if (!legacy) return legacy.error();
    if (legacy->user_table && legacy->alembic_revision == kTutorialAlembicRevision) {
      out.adopted_from = legacy->alembic_revision;
    }
  }
  for (auto& a : *applied) {
    applied_versions.insert(a.version);
    (known.contains(a.version) ? out.applied : out.unknown).push_back(std::move(a));
  }
  for (const auto& m : migrations_) {
    if (!applied_versions.contains(m.version)) out.pending.push_back(m);
  }
  return out;
}

Result<std::filesystem::path> Migrator::create_files(const std::filesystem::path& dir,
                                                     std::string_view name) {
  if (!valid_name(name)) {
    return Error{ErrorCode::kInternal, "migrations: bad migration name '" + std::string(name) +
                                           "' (use 1 to 100 of a-z, 0-9 and _)"};
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);  // the first migration of a new folder
  if (!std::filesystem::is_directory(dir, ec)) {
    return Error{ErrorCode::kInternal, "migrations: '" + dir.string() + "' is not a directory"};
  }
  int highest = 0;
  std::filesystem::directory_iterator it(dir, ec);
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string filename = it->path().filename().string();
    if (!filename.ends_with(".sql")) continue;
    if (const auto version = leading_version(filename)) highest = std::max(highest, *version);
  }
  if (ec) {
    return Error{ErrorCode::kInternal,
                 "migrations: cannot list '" + dir.string() + "': " + ec.message()};
  }
  if (highest >= 999'999'999) {
    return Error{ErrorCode::kInternal, "migrations: no version left after " +
                                           std::to_string(highest) + " in '" + dir.string() + "'"};
  }

  const std::string stem = label(highest + 1, name);
  const auto up_path = dir / (stem + std::string(kUpSuffix));
  const auto down_path = dir / (stem + std::string(kDownSuffix));
  if (std::filesystem::exists(up_path, ec) || std::filesystem::exists(down_path, ec)) {
    return Error{ErrorCode::kInternal,
                 "migrations: refusing to overwrite '" + up_path.string() + "' or its .down.sql"};
  }
  const std::string header = [&] {
    std::string text(kUpHeader);
    text.replace(text.find("{label}"), 7, stem);
    return text;
  }();
  if (auto st = write_new_file(up_path, header); !st) return st.error();
  if (auto st = write_new_file(down_path, ""); !st) {
    std::filesystem::remove(up_path, ec);  // do not leave half a pair behind
    return st.error();
  }
  return up_path;
}

Result<AppliedMigration> applied_migration_row(std::int64_t version, std::string name,
                                               const std::string& applied_at) {
  const auto parsed = parse_sql_timestamp(applied_at);
  if (!parsed) {
    return Error{ErrorCode::kInternal, "schema_migrations: version " + std::to_string(version) +
                                           " has an unreadable applied_at '" + applied_at + "'"};
  }
  return AppliedMigration{static_cast<int>(version), std::move(name), *parsed};
}

}  // namespace gatehouse::store
