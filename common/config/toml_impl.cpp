// The one translation unit that compiles toml++'s implementation (TOML_HEADER_ONLY=0
// elsewhere), instead of linking Debian's libtomlplusplus.so (see CMakeLists.txt).
#define TOML_IMPLEMENTATION
#include <toml++/toml.h>
