# mapping/ tests (issue #2): unit tests, property tests, fuzz targets.
gw_add_unit_test(test_map SOURCES test_map.c LIBS gwmapping)
gw_add_unit_test(test_map_prop SOURCES test_map_prop.c LIBS gwmapping)
