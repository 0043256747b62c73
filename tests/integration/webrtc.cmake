# Issue 7: a real WebRTC XMPP client (StanzaJS in Debian's headless Chromium,
# driven by playwright-core) calls a real SIP phone (baresip) through
# Prosody, the gateway, rtpengine and Kamailio, and back; audio both ways and
# DTMF are checked from recordings. The test runs `npm ci` (the npm
# registry) into GW_WEBRTC_DIR, then re-executes itself in a network
# namespace that has only lo. Exit 77 (skipped) only when Chromium cannot
# start.
if(NOT DEFINED GW_PYTHON)
  set(GW_PYTHON /usr/bin/python3)
endif()
add_test(NAME integration_webrtc
         COMMAND ${GW_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_webrtc.py)
set_tests_properties(integration_webrtc PROPERTIES
  LABELS integration TIMEOUT 300 RESOURCE_LOCK loopback-servers
  SKIP_RETURN_CODE 77
  ENVIRONMENT "GW_BINARY=$<TARGET_FILE:xmpp-sip-gateway>;GW_WEBRTC_DIR=${PROJECT_BINARY_DIR}/webrtc-client;PYTHONDONTWRITEBYTECODE=1")
