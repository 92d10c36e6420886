#include "app/environment.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <fstream>

#include "auth/jws.hpp"

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

  std::error_code ec;
  if (!fs::exists(kDevKeysFile, ec)) {
    auto algorithm =
        auth::parse_algorithm(env.count("JWT_ALGORITHM") ? env["JWT_ALGORITHM"] : "RS256");
    if (!algorithm) return std::move(algorithm).error();
    auto pair = auth::generate_key_pair(*algorithm, 2048);
    if (!pair) return std::move(pair).error();
    fs::create_directories(kDevKeysFile.parent_path(), ec);
    if (ec) {
      return Error{ErrorCode::kInternal, "cannot create " + kDevKeysFile.parent_path().string() +
                                             " for development keys: " + ec.message() +
                                             " (or set JWT_PRIVATE_KEY/JWT_PUBLIC_KEY)"};
    }
    const fs::path tmp = kDevKeysFile.string() + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << "# Development key pair made by `gatehouse serve` because no JWT keys were set.\n"
          << "# Not for production: run `gatehouse keys generate` and put the lines in .env.\n"
          << "JWT_PRIVATE_KEY=" << auth::base64_encode(pair->private_pem) << "\n"
          << "JWT_PUBLIC_KEY=" << auth::base64_encode(pair->public_pem) << "\n";
      if (!out) return Error{ErrorCode::kInternal, "cannot write " + tmp.string()};
    }
    ::chmod(tmp.c_str(), 0600);
    fs::rename(tmp, kDevKeysFile, ec);
    if (ec) return Error{ErrorCode::kInternal, "cannot write " + kDevKeysFile.string()};
    spdlog::warn(
        "no JWT_PRIVATE_KEY/JWT_PUBLIC_KEY set: generated a development RSA-2048 key pair in {}. "
        "For production run `gatehouse keys generate` and put its two lines in .env",
        fs::absolute(kDevKeysFile).string());
  } else {
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
