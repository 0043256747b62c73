# jingle_sdp tests: unit tests (test_jsdp.c), the jingle-sdp tool on a
# fixture both ways, and the fuzz targets with their corpora.
gw_add_unit_test(test_jsdp SOURCES test_jsdp.c LIBS jsdp)

gw_add_unit_test(test_jsdp_tool SOURCES test_jsdp_tool.c)
add_dependencies(test_jsdp_tool jingle-sdp)
set_property(TEST test_jsdp_tool APPEND PROPERTY ENVIRONMENT "JSDP_TOOL=$<TARGET_FILE:jingle-sdp>")

gw_add_fuzz_target(jsdp_sdp_fuzz
  SOURCES ${PROJECT_SOURCE_DIR}/jingle_sdp/jsdp_sdp_fuzz.c LIBS jsdp
  CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/data/jsdp/fuzz/jsdp_sdp_fuzz)
gw_add_fuzz_target(jsdp_jingle_fuzz
  SOURCES ${PROJECT_SOURCE_DIR}/jingle_sdp/jsdp_jingle_fuzz.c LIBS jsdp
  CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/data/jsdp/fuzz/jsdp_jingle_fuzz)
