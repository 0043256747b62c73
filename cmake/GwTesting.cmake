# Shared helpers for tests, fuzz targets and benchmarks.
#
# gw_add_unit_test(NAME SOURCES a.c ... LIBS lib ...)
#   A GTest binary run by ctest with label "unit"; G_TEST_SRCDIR points at
#   tests/ so fixtures are found with g_test_build_filename(G_TEST_DIST, ...).
#
# gw_add_fuzz_target(NAME SOURCES x_fuzz.c ... LIBS ... CORPUS dir [dir...])
#   Always: NAME_replay, the target linked with tests/fuzz_replay.c, which
#   ctest runs over every file of the corpus dirs (label "fuzz-regress").
#   With GW_FUZZ=ON (clang): NAME, a libFuzzer binary, run by ctest for
#   GW_FUZZ_SECONDS seconds seeded from the corpus (label "fuzz").
#
# gw_add_bench(NAME SOURCES ... LIBS ...)
#   A benchmark program under tests/bench; not run by ctest.

function(gw_add_unit_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} PkgConfig::GLIB)
  add_test(NAME ${name} COMMAND ${name})
  set(labels unit ${T_LABELS})
  set_tests_properties(${name} PROPERTIES LABELS "${labels}"
    ENVIRONMENT "G_TEST_SRCDIR=${PROJECT_SOURCE_DIR}/tests;G_TEST_BUILDDIR=${CMAKE_CURRENT_BINARY_DIR};G_DEBUG=fatal-criticals"
    TIMEOUT 300)
endfunction()

function(gw_add_fuzz_target name)
  cmake_parse_arguments(F "" "" "SOURCES;LIBS;CORPUS" ${ARGN})
  add_executable(${name}_replay ${F_SOURCES} ${PROJECT_SOURCE_DIR}/tests/fuzz_replay.c)
  target_include_directories(${name}_replay PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name}_replay PRIVATE ${F_LIBS} PkgConfig::GLIB)
  add_test(NAME ${name}_replay COMMAND ${name}_replay ${F_CORPUS})
  set_tests_properties(${name}_replay PROPERTIES LABELS "fuzz-regress" TIMEOUT 300)
  if(GW_FUZZ)
    add_executable(${name} ${F_SOURCES})
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(${name} PRIVATE ${F_LIBS} PkgConfig::GLIB)
    set(work ${CMAKE_CURRENT_BINARY_DIR}/${name}_corpus)
    add_test(NAME ${name}_run
      COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=1
              ${PROJECT_SOURCE_DIR}/tests/run_fuzzer.sh $<TARGET_FILE:${name}>
              ${work} ${GW_FUZZ_SECONDS} ${F_CORPUS})
    set_tests_properties(${name}_run PROPERTIES LABELS "fuzz"
      TIMEOUT 600)
  endif()
endfunction()

function(gw_add_bench name)
  cmake_parse_arguments(B "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${B_SOURCES})
  target_link_libraries(${name} PRIVATE ${B_LIBS} PkgConfig::GLIB)
endfunction()
