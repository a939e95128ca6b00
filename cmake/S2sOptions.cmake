# Compiler settings shared by every s2s target, on one INTERFACE target.
add_library(s2s_options INTERFACE)
target_compile_features(s2s_options INTERFACE cxx_std_20)
target_compile_options(s2s_options INTERFACE -Wall -Wextra -Wpedantic)
target_compile_definitions(s2s_options INTERFACE BOOST_ASIO_NO_DEPRECATED)
target_include_directories(s2s_options INTERFACE "${PROJECT_SOURCE_DIR}")
# GCC 12 warns, falsely, that std::string's operator+ may overlap its own
# buffers once inlined at -O2 (GCC bugs 105329 and 105651, fixed in GCC 13):
# pages of -Wrestrict from a Release build that no code of ours can silence.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(s2s_options INTERFACE -Wno-restrict)
endif()

option(S2S_WERROR "Treat compiler warnings as errors (on in ./scripts/test and CI)" OFF)
if(S2S_WERROR)
  target_compile_options(s2s_options INTERFACE -Werror)
endif()

set(S2S_SANITIZE "" CACHE STRING "Sanitizers to build with: empty, or 'address,undefined'")
if(S2S_SANITIZE)
  target_compile_options(s2s_options INTERFACE -fsanitize=${S2S_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(s2s_options INTERFACE -fsanitize=${S2S_SANITIZE})
  if(S2S_SANITIZE MATCHES "undefined")
    # UBSan's vptr check needs the typeinfo of SOCI's backend classes, which
    # Debian's libsoci does not export (we reach the native handles through them).
    target_compile_options(s2s_options INTERFACE -fno-sanitize=vptr)
  endif()
endif()
