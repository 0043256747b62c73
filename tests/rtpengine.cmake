# rtpengine ng client (gateway/rtpengine.c) and its bencode core
# (gateway/bencode.c): the library, the bencode unit tests, the fuzz target
# replayed over its corpus, and the integration test against a real
# rtpengine that the test starts itself.
#
# gwrtpengine is declared in gateway/CMakeLists.txt now that gwcore links
# it; the fallback below only defines it (same sources, include directory,
# log domain and GLib link) in a tree where that has not happened.
if(NOT TARGET gwrtpengine AND EXISTS ${PROJECT_SOURCE_DIR}/gateway/rtpengine.c)
  add_library(gwrtpengine STATIC
    ${PROJECT_SOURCE_DIR}/gateway/bencode.c
    ${PROJECT_SOURCE_DIR}/gateway/rtpengine.c)
  target_include_directories(gwrtpengine PUBLIC ${PROJECT_SOURCE_DIR}/gateway)
  target_compile_definitions(gwrtpengine PRIVATE G_LOG_DOMAIN="gw-rtpe")
  target_link_libraries(gwrtpengine PUBLIC PkgConfig::GLIB)
endif()

if(TARGET gwrtpengine)
  gw_add_unit_test(test_bencode
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_bencode.c LIBS gwrtpengine)

  # Needs the rtpengine binary (Debian rtpengine-daemon); skips without it.
  # Binds loopback ports chosen at run time.
  gw_add_unit_test(test_rtpengine
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_rtpengine.c LIBS gwrtpengine
    LABELS integration)
  set_tests_properties(test_rtpengine PROPERTIES
    RESOURCE_LOCK loopback-servers)

  # With libFuzzer builds, instrument the library too, or the fuzzer only
  # sees the coverage of its own harness.
  if(GW_FUZZ)
    target_compile_options(gwrtpengine PRIVATE -fsanitize=fuzzer-no-link)
  endif()
  gw_add_fuzz_target(bencode_fuzz
    SOURCES ${PROJECT_SOURCE_DIR}/gateway/bencode_fuzz.c LIBS gwrtpengine
    CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/data/bencode/fuzz)
endif()
