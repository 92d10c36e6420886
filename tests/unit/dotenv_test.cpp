#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "config/settings.hpp"

namespace gatehouse::config {
namespace {

// Parses `text`, failing the test (not crashing) when the parser refuses it.
EnvMap parse_ok(std::string_view text) {
  Result<EnvMap> env = parse_dotenv(text);
  EXPECT_TRUE(env) << (env ? "" : env.error().internal);
  return env ? *env : EnvMap{};
}

std::string parse_error(std::string_view text) {
  Result<EnvMap> env = parse_dotenv(text);
  EXPECT_FALSE(env) << "parsed: " << text;
  return env ? std::string() : env.error().internal;
}

TEST(DotenvTest, SpacesAroundEqualsAndComments) {
  const EnvMap env = parse_ok(
      "# a comment\n"
      "\n"
      "   # an indented comment\n"
      "DATABASE_HOST = 127.0.0.1\n"
      "PORT=8000\n"
      "\tTABBED\t=\tvalue\t\n");
  EXPECT_EQ(env.size(), 3u);
  EXPECT_EQ(env.at("DATABASE_HOST"), "127.0.0.1");
  EXPECT_EQ(env.at("PORT"), "8000");
  EXPECT_EQ(env.at("TABBED"), "value");
}

TEST(DotenvTest, UnquotedValueInlineComment) {
  const EnvMap env = parse_ok(
      "A = value # comment\n"
      "B = value#not-a-comment\n"
      "C = a b  c   \n"
      "D = #starts-with-hash\n"
      "E = x\t# tab before hash\n");
  EXPECT_EQ(env.at("A"), "value");
  EXPECT_EQ(env.at("B"), "value#not-a-comment");
  EXPECT_EQ(env.at("C"), "a b  c");
  EXPECT_EQ(env.at("D"), "#starts-with-hash");  // as python-dotenv: no space before the '#'
  EXPECT_EQ(env.at("E"), "x");
}

TEST(DotenvTest, EmptyValues) {
  const EnvMap env = parse_ok("A=\nB = \nC=''\nD=\"\"\nE=");
  EXPECT_EQ(env.size(), 5u);
  for (const auto& [key, value] : env) EXPECT_EQ(value, "") << key;
}

TEST(DotenvTest, QuotedValues) {
  const EnvMap env = parse_ok(
      "DATABASE_PREFIX = \"api_\"\n"
      "SINGLE = 'a # not a comment '\n"
      "DOUBLE = \"  spaced  \"  # comment after the quote\n"
      "GLUED = \"x\"# comment\n");
  EXPECT_EQ(env.at("DATABASE_PREFIX"), "api_");
  EXPECT_EQ(env.at("SINGLE"), "a # not a comment ");
  EXPECT_EQ(env.at("DOUBLE"), "  spaced  ");
  EXPECT_EQ(env.at("GLUED"), "x");
}

TEST(DotenvTest, DoubleQuoteEscapes) {
  const EnvMap env = parse_ok(R"(A="line1\nline2"
B="say \"hi\""
C="back\\slash"
D="tab\there"
E="unknown \q stays"
F="\'"
)");
  EXPECT_EQ(env.at("A"), "line1\nline2");
  EXPECT_EQ(env.at("B"), "say \"hi\"");
  EXPECT_EQ(env.at("C"), "back\\slash");
  EXPECT_EQ(env.at("D"), "tab\there");
  EXPECT_EQ(env.at("E"), "unknown \\q stays");
  EXPECT_EQ(env.at("F"), "'");
}

TEST(DotenvTest, SingleQuotesKeepBackslashSequences) {
  const EnvMap env = parse_ok(R"(A='line1\nline2'
B='it\'s'
C='a\\b'
)");
  EXPECT_EQ(env.at("A"), "line1\\nline2");
  EXPECT_EQ(env.at("B"), "it's");
  EXPECT_EQ(env.at("C"), "a\\b");
}

TEST(DotenvTest, QuotedValueMaySpanLines) {
  const EnvMap env = parse_ok(
      "KEY=\"-----BEGIN PUBLIC KEY-----\nABC\n-----END PUBLIC KEY-----\n\"\n"
      "AFTER=1\n");
  EXPECT_EQ(env.at("KEY"), "-----BEGIN PUBLIC KEY-----\nABC\n-----END PUBLIC KEY-----\n");
  EXPECT_EQ(env.at("AFTER"), "1");
}

TEST(DotenvTest, ExportPrefix) {
  const EnvMap env = parse_ok("export A=1\nexport\tB = two\nexport=3\nexported=4\n");
  EXPECT_EQ(env.at("A"), "1");
  EXPECT_EQ(env.at("B"), "two");
  EXPECT_EQ(env.at("export"), "3");
  EXPECT_EQ(env.at("exported"), "4");
}

TEST(DotenvTest, LineEndingsBomAndNoFinalNewline) {
  const EnvMap env = parse_ok(
      "\xEF\xBB\xBF"
      "A=1\r\nB=2\rC=3");
  EXPECT_EQ(env.at("A"), "1");
  EXPECT_EQ(env.at("B"), "2");
  EXPECT_EQ(env.at("C"), "3");
}

TEST(DotenvTest, LastDefinitionWins) {
  EXPECT_EQ(parse_ok("A=1\nA=2\n").at("A"), "2");
}

TEST(DotenvTest, NonUtf8BytesPassThrough) {
  const EnvMap env = parse_ok("A=\xff\xfe bytes\n# \xe5\xae\xa2\xe6\x88\xb7\n");
  EXPECT_EQ(env.at("A"), "\xff\xfe bytes");
}

TEST(DotenvTest, EmptyTextIsEmptyMap) {
  EXPECT_TRUE(parse_ok("").empty());
  EXPECT_TRUE(parse_ok("\n\n  \n# only comments\n").empty());
}

TEST(DotenvTest, LineWithoutEqualsNamesTheLine) {
  EXPECT_EQ(parse_error("A=1\n\nJUST_A_WORD\n"), "line 3: expected KEY=VALUE");
  EXPECT_EQ(parse_error("A=1\nB C=2\n"), "line 2: expected KEY=VALUE");
  EXPECT_EQ(parse_error("=value\n"), "line 1: expected KEY=VALUE");
}

TEST(DotenvTest, LineNumbersCountLinesInsideQuotes) {
  EXPECT_EQ(parse_error("A=\"x\ny\nz\"\nBAD\n"), "line 4: expected KEY=VALUE");
}

TEST(DotenvTest, InvalidKeys) {
  for (std::string_view text : {"1ABC=x\n", "A-B=x\n", "A.B=x\n", "'A'=x\n"}) {
    const std::string error = parse_error(text);
    EXPECT_NE(error.find("line 1: invalid variable name"), std::string::npos) << text << error;
  }
}

TEST(DotenvTest, UnterminatedQuote) {
  EXPECT_EQ(parse_error("A=1\nB=\"open\nC=2\n"), "line 2: unterminated double-quoted value");
  EXPECT_EQ(parse_error("B='open"), "line 1: unterminated single-quoted value");
}

TEST(DotenvTest, TextAfterClosingQuote) {
  EXPECT_EQ(parse_error("A=\"x\" y\n"), "line 1: unexpected text after the closing quote");
}

class DotenvFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("gatehouse-dotenv-test-" +
            std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path write(std::string_view name, std::string_view text) {
    const std::filesystem::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(DotenvFileTest, ReadsFile) {
  const Result<EnvMap> env = read_dotenv_file(write(".env", "A = 1\nB='two'\n"));
  ASSERT_TRUE(env) << env.error().internal;
  EXPECT_EQ(env->at("A"), "1");
  EXPECT_EQ(env->at("B"), "two");
}

TEST_F(DotenvFileTest, ErrorNamesFileAndLine) {
  const std::filesystem::path path = write(".env", "A=1\noops\n");
  const Result<EnvMap> env = read_dotenv_file(path);
  ASSERT_FALSE(env);
  EXPECT_EQ(env.error().internal, path.string() + ":2: expected KEY=VALUE");
}

TEST_F(DotenvFileTest, MissingFileIsAnErrorNamingThePath) {
  const std::filesystem::path path = dir_ / "absent.env";
  const Result<EnvMap> env = read_dotenv_file(path);
  ASSERT_FALSE(env);
  EXPECT_EQ(env.error().internal.rfind(path.string() + ": cannot read", 0), 0u)
      << env.error().internal;
}

TEST_F(DotenvFileTest, DirectoryIsAnError) {
  const Result<EnvMap> env = read_dotenv_file(dir_);
  ASSERT_FALSE(env);
  EXPECT_NE(env.error().internal.find("cannot read"), std::string::npos) << env.error().internal;
}

TEST(ProcessEnvironmentTest, SeesVariablesSetInTheProcess) {
  ASSERT_EQ(::setenv("GATEHOUSE_DOTENV_TEST_VAR", "a=b=c", 1), 0);
  const EnvMap env = process_environment();
  ::unsetenv("GATEHOUSE_DOTENV_TEST_VAR");
  ASSERT_TRUE(env.contains("GATEHOUSE_DOTENV_TEST_VAR"));
  EXPECT_EQ(env.at("GATEHOUSE_DOTENV_TEST_VAR"), "a=b=c");
}

}  // namespace
}  // namespace gatehouse::config
