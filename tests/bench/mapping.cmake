# Mapping benchmark (issue #2): load 100k static entries, lookups/s in each
# direction, RSS. Run: build-dir/tests/bench/bench_map [ENTRIES] [SECONDS]
gw_add_bench(bench_map SOURCES bench_map.c LIBS gwmapping)
