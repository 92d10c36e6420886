#pragma once

#include <string_view>
#include <vector>

namespace gatehouse::embedded {

// A file compiled into the binary by cmake/EmbedFiles.cmake, so the server needs no data folder.
struct EmbeddedFile {
  std::string_view folder;    // relative to the embedded tree: "sqlite" for migrations/sqlite/
  std::string_view filename;  // "0001_create_user.up.sql"
  std::string_view content;
};

// migrations/<dialect>/*.sql
const std::vector<EmbeddedFile>& migration_files();
// templates/mail/*: the default mail templates (mail/templates.hpp)
const std::vector<EmbeddedFile>& mail_template_files();
// web/auth/*: the account pages a mail's link opens (api/account_api.hpp)
const std::vector<EmbeddedFile>& account_page_files();
// web/docs/*.html|*.js: the /docs and /redoc pages (api/docs_api.hpp)
const std::vector<EmbeddedFile>& docs_page_files();
// Swagger UI's and ReDoc's bundles from web/docs/node_modules (folder "swagger-ui-dist",
// "redoc/bundles")
const std::vector<EmbeddedFile>& docs_asset_files();

}  // namespace gatehouse::embedded
