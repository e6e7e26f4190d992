# Writes OUT, a C++ source that holds the file IN as konnect::kWebPage (cmake -P; see
# CMakeLists.txt): konnectd serves its web page with no file to find at run time.
file(READ "${IN}" content)
string(FIND "${content}" ")konnect\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${IN} holds the raw string's end marker )konnect\"")
endif()
file(WRITE "${OUT}.tmp" "// Generated from daemon/web/page.html by scripts/embed-page.cmake: edit that file.\n"
  "namespace konnect {\nextern const char kWebPage[];\nconst char kWebPage[] = R\"konnect(${content})konnect\";\n}  // namespace konnect\n")
file(RENAME "${OUT}.tmp" "${OUT}")
