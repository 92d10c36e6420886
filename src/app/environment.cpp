#include "app/environment.hpp"

#include <algorithm>
#include <cctype>

#include <spdlog/spdlog.h>

#include "auth/jws.hpp"
#include "core/private_file.hpp"

namespace gatehouse::app {

namespace fs = std::filesystem;

Result<config::EnvMap> load_environment(const std::optional<fs::path>& env_file) {
  config::EnvMap env;
  const fs::path path = env_file.value_or(".env");
  std::error_code ec;
  if (env_file || fs::exists(path, ec)) {
    auto file = config::read_dotenv_file(path);
    if (!file) return std::move(file).error();
    env = std::move(*file);
  }
  for (auto& [key, value] : config::process_environment()) env.insert_or_assign(key, value);
  return env;
}

Result<config::EnvMap> with_development_keys(config::EnvMap env) {
  const auto set = [&env](const char* key) {
    auto it = env.find(key);
    return it != env.end() && !it->second.empty();
  };
  if (set("JWT_PRIVATE_KEY") || set("JWT_PUBLIC_KEY")) return env;
  // Managed keys live in the database; a pair in .env there is only ever imported.
  if (auto mode = env.find("JWT_KEYS"); mode != env.end()) {
    std::string value = mode->second;
    std::transform(value.begin(), value.end(), value.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (value.find("managed") != std::string::npos) return env;
  }

  std::error_code ec;
  if (!fs::exists(kDevKeysFile, ec)) {
    auto algorithm =
        auth::parse_algorithm(env.count("JWT_ALGORITHM") ? env["JWT_ALGORITHM"] : "RS256");
    if (!algorithm) return std::move(algorithm).error();
    auto pair = auth::generate_key_pair(*algorithm, 2048);
    if (!pair) return std::move(pair).error();
    const std::string text =
        "# Development key pair made by `gatehouse serve` because no JWT keys were set.\n"
        "# Not for production: run `gatehouse keys generate` and put the lines in .env.\n"
        "JWT_PRIVATE_KEY=" +
        auth::base64_encode(pair->private_pem) + "\n" +
        "JWT_PUBLIC_KEY=" + auth::base64_encode(pair->public_pem) + "\n";
    if (auto st = write_private_file(kDevKeysFile, text); !st) {
      return Error{ErrorCode::kInternal,
                   st.error().internal + " (or set JWT_PRIVATE_KEY/JWT_PUBLIC_KEY)"};
    }
    spdlog::warn(
        "no JWT_PRIVATE_KEY/JWT_PUBLIC_KEY set: generated a development RSA-2048 key pair in {}. "
        "For production run `gatehouse keys generate` and put its two lines in .env",
        fs::absolute(kDevKeysFile).string());
  } else {
    if (fs::is_symlink(kDevKeysFile, ec)) {
      return Error{ErrorCode::kInternal, kDevKeysFile.string() +
                                             " is a symbolic link: refusing to read keys "
                                             "through it (delete it to have a new pair made)"};
    }
    spdlog::warn("no JWT keys set: using the development key pair in {}",
                 fs::absolute(kDevKeysFile).string());
  }
  auto keys = config::read_dotenv_file(kDevKeysFile);
  if (!keys) return std::move(keys).error();
  for (const char* key : {"JWT_PRIVATE_KEY", "JWT_PUBLIC_KEY"}) {
    auto it = keys->find(key);
    if (it == keys->end()) {
      return Error{ErrorCode::kInternal, kDevKeysFile.string() + " lacks " + key +
                                             ": delete the file to have a new pair made"};
    }
    env.insert_or_assign(key, it->second);
  }
  return env;
}

}  // namespace gatehouse::app
