# PIDF core (gateway/pidf.c): table-driven unit tests over tests/data/pidf/
# and the fuzz target, replayed over its corpus in every build.
if(TARGET gwpidf AND EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/test_pidf.c)
  gw_add_unit_test(test_pidf SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_pidf.c
    LIBS gwpidf)
endif()
if(TARGET gwpidf AND EXISTS ${PROJECT_SOURCE_DIR}/gateway/pidf_fuzz.c)
  gw_add_fuzz_target(pidf_fuzz
    SOURCES ${PROJECT_SOURCE_DIR}/gateway/pidf_fuzz.c LIBS gwpidf
    CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/data/pidf/fuzz)
endif()
