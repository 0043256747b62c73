# jingle_sdp benchmark: libjsdp translations/s both ways, and StanzaJS's own
# conversion of the same inputs (tests/bench/node) for comparison.
gw_add_bench(bench_jsdp SOURCES bench_jsdp.c LIBS jsdp)
target_compile_definitions(bench_jsdp PRIVATE
  JSDP_BENCH_DATA="${PROJECT_SOURCE_DIR}/tests/data/jsdp/bench"
  JSDP_BENCH_NODE="${CMAKE_CURRENT_SOURCE_DIR}/node")
