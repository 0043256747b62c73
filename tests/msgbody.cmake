# Message body core (gateway/core/msgbody.c): table-driven unit tests over
# tests/data/msgbody/ and the fuzz target, replayed over its corpus in
# every build (as tests/pidf.cmake does for the PIDF core).
gw_add_unit_test(test_msgbody
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_msgbody.c LIBS gwcore)
# With libFuzzer builds, instrument gwcore too, or the fuzzer sees only the
# coverage of its harness (pidf.cmake does the same; CMake drops the
# duplicate option).
if(GW_FUZZ)
  target_compile_options(gwcore PRIVATE -fsanitize=fuzzer-no-link)
endif()
gw_add_fuzz_target(msgbody_fuzz
  SOURCES ${PROJECT_SOURCE_DIR}/gateway/core/msgbody_fuzz.c LIBS gwcore
  PkgConfig::XML2
  CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/data/msgbody/fuzz)
