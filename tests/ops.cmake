# Operations: metrics, the admin HTTP endpoint.
gw_add_unit_test(test_metrics
                 SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_metrics.c
                 LIBS gwcore)
