# Message body core (gateway/core/msgbody.c): table-driven unit tests over
# tests/data/msgbody/ and the fuzz target, replayed over its corpus in
# every build (as tests/pidf.cmake does for the PIDF core).
gw_add_unit_test(test_msgbody
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_msgbody.c LIBS gwcore)
