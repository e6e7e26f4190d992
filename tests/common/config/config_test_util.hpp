#pragma once
// Shared by the config loader tests: a per-test temporary directory to write config files
// into, and assertions on config errors.

#include "common/config/config_loader.hpp"
#include "tests/temp_dir.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace konnect::testing {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = tmp_.path(); }

  // Writes TEXT to DIR/REL (creating directories) and returns the absolute path.
  std::filesystem::path write(const std::string& rel, const std::string& text) {
    auto path = dir_ / rel;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
    return path;
  }

  std::string path(const std::string& rel) const { return (dir_ / rel).lexically_normal().string(); }

  // Loads TEXT as DIR/konnectd.toml, written to disk so includes can find it.
  Result<Config> load(const std::string& text) { return load_config(write("konnectd.toml", text)); }

  // Loads TEXT that must be valid.
  Config load_ok(const std::string& text) {
    auto r = load(text);
    EXPECT_TRUE(r) << (r ? "" : r.error().to_string());
    return r ? *r : Config{};
  }

  // Loads a main file holding only [program.web] with BODY.
  ProgramConfig program(const std::string& body) {
    Config c = load_ok("[program.web]\n" + body + "\n");
    EXPECT_EQ(c.programs.size(), 1u);
    return c.programs.empty() ? ProgramConfig{} : c.programs[0];
  }

  // The error of loading a main file holding only [program.web] with BODY (line 1 is the header).
  Error program_error(const std::string& body) {
    auto r = load("[program.web]\n" + body + "\n");
    EXPECT_FALSE(r) << "expected an error for: " << body;
    return r ? Error{} : r.error();
  }

  konnect::test::TempDir tmp_;
  std::filesystem::path dir_;
};

// Asserts every part of a config error: FILE:LINE, KEY and a piece of the message.
#define EXPECT_CONFIG_ERROR(error, file_, line_, key_, message_part)             \
  do {                                                                           \
    const ::konnect::Error& e_ = (error);                                        \
    EXPECT_EQ(e_.code, ::konnect::ErrorCode::Config);                            \
    EXPECT_EQ(e_.file, (file_));                                                 \
    EXPECT_EQ(e_.line, (line_));                                                 \
    EXPECT_EQ(e_.key, (key_));                                                   \
    EXPECT_NE(e_.message.find(message_part), std::string::npos) << e_.message;   \
  } while (0)

}  // namespace konnect::testing
