# Unit tests of the call bridge's parts: the libstrophe -> libxml2 tree
# copy it reads Jingle through (libjsdp's own tests cover the SDP and model
# operations, in test_jsdp.c).
gw_add_unit_test(test_stanza_xml
                 SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_stanza_xml.c
                 LIBS gwxmpp jsdp)
# What a Jingle offer or answer from the XMPP side must be (issue 15):
# gateway/bridge/call_check.c, table-driven.
gw_add_unit_test(test_calls_check
                 SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_calls_check.c
                 LIBS gwbridge)
