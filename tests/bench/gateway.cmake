# Gateway message benchmark (issue #3): the XMPP load peers that
# tests/bench/bench_messages.py drives. Not run by ctest.
#   compload: an XEP-0114 server the gateway connects to (no Prosody)
#   c2sload:  an XMPP client logged in to Prosody
gw_add_bench(compload SOURCES compload.c load_common.c)
gw_add_bench(c2sload SOURCES c2sload.c load_common.c)
