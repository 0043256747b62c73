# Operations: metrics, the admin HTTP endpoint.
gw_add_unit_test(test_metrics
                 SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_metrics.c
                 LIBS gwcore)
# The loop's wakeup pacing (gateway/ops/loop_pace.h) on a real context.
gw_add_unit_test(test_loop_pace
                 SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_loop_pace.c
                 LIBS gwops)
