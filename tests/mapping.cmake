# mapping/ tests (issue #2): unit tests, property tests, fuzz targets.
gw_add_unit_test(test_map SOURCES test_map.c LIBS gwmapping)
gw_add_unit_test(test_map_prop SOURCES test_map_prop.c LIBS gwmapping)

# Fuzz targets beside their parsers; corpora (seeds and regression inputs)
# in tests/data/mapping/fuzz/<target>/. ctest replays them in every build;
# with -DGW_FUZZ=ON (clang) the libFuzzer binaries run too.
foreach(target jid uri number rules)
  gw_add_fuzz_target(map_${target}_fuzz
    SOURCES ${PROJECT_SOURCE_DIR}/mapping/map_${target}_fuzz.c
    LIBS gwmapping
    CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/data/mapping/fuzz/${target})
endforeach()
