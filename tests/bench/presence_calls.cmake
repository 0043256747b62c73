# Presence and call benchmarks (issues 5 and 6): the load peers that
# tests/bench/bench_presence.py and tests/bench/bench_calls.py drive.
# Not run by ctest.
#   xmpppeer:    an XEP-0114 server the gateway connects to, playing
#                alice@localhost (approves, answers probes, changes her
#                presence; answers and places JMI/Jingle calls)
#   sipwatchers: many SIP watchers on one UDP socket (SUBSCRIBE, 200 to
#                every NOTIFY, arrival stamps), or a SIP presence notifier
gw_add_bench(xmpppeer SOURCES xmpppeer.c load_common.c)
gw_add_bench(sipwatchers SOURCES sipwatchers.c load_common.c)
