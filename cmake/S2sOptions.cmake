# Compiler settings shared by every s2s target, on one INTERFACE target.
add_library(s2s_options INTERFACE)
target_compile_features(s2s_options INTERFACE cxx_std_20)
target_compile_options(s2s_options INTERFACE -Wall -Wextra -Wpedantic)
target_compile_definitions(s2s_options INTERFACE BOOST_ASIO_NO_DEPRECATED)
target_include_directories(s2s_options INTERFACE "${PROJECT_SOURCE_DIR}")

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
