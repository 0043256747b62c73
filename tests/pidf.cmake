# PIDF core (gateway/pidf.c): table-driven unit tests over tests/data/pidf/
# and the fuzz target, replayed over its corpus in every build.
if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/test_pidf.c)
  gw_add_unit_test(test_pidf SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_pidf.c
    LIBS gwcore)
endif()
if(EXISTS ${PROJECT_SOURCE_DIR}/gateway/core/pidf_fuzz.c)
  # With libFuzzer builds, instrument the library too, or the fuzzer only
  # sees the coverage of its own harness (as mapping/ and jingle_sdp/ do;
  # gwcore is declared in gateway/CMakeLists.txt).
  if(GW_FUZZ)
    target_compile_options(gwcore PRIVATE -fsanitize=fuzzer-no-link)
  endif()
  gw_add_fuzz_target(pidf_fuzz
    SOURCES ${PROJECT_SOURCE_DIR}/gateway/core/pidf_fuzz.c LIBS gwcore
    CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/data/pidf/fuzz)
endif()
