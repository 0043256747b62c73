# rtpengine ng client (gateway/media/rtpengine.c) and its bencode core
# (gateway/core/bencode.c): the bencode unit tests, the fuzz target
# replayed over its corpus, and the integration test against a real
# rtpengine that the test starts itself.
gw_add_unit_test(test_bencode
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_bencode.c LIBS gwcore)
# Needs the rtpengine binary (Debian rtpengine-daemon); skips without it.
# Binds loopback ports chosen at run time.
gw_add_unit_test(test_rtpengine
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_rtpengine.c LIBS gwmedia
  LABELS integration)
set_tests_properties(test_rtpengine PROPERTIES
  RESOURCE_LOCK loopback-servers)
gw_add_fuzz_target(bencode_fuzz
  SOURCES ${PROJECT_SOURCE_DIR}/gateway/core/bencode_fuzz.c LIBS gwcore
  CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/data/bencode/fuzz)
