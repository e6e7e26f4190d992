// libFuzzer targets: the TOML loader and the supervisord INI loader (common/config_loader,
// common/supervisord_config) on arbitrary text. A config is untrusted until it loads: any
// input must end in a Config or a config error, never a crash, a hang or an escaped
// exception. Built twice: KONNECT_FUZZ_INI picks the INI reader (a .conf file name).
// Accounts are not checked (no NSS in a fuzzer) and nothing is read but the text itself:
// includes are not followed.

#include "common/config/config_loader.hpp"
#include "common/config/config_writer.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 64 * 1024) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
#ifdef KONNECT_FUZZ_INI
  const char* file = "/nonexistent/konnect-fuzz/supervisord.conf";
#else
  const char* file = "/nonexistent/konnect-fuzz/konnectd.toml";
#endif
  konnect::LoadOptions options;
  options.follow_includes = false;
  auto config = konnect::load_config_text(text, file, options);
  if (config) (void)konnect::write_toml_config(*config, "fuzz");
  return 0;
}
