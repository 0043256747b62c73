# scripts/demo --self-test: Prosody, Kamailio and the gateway started the way
# the demo starts them (on free ports, never the standard ones), one message
# each way with scripts/xmpp-chat and scripts/sip-phone, clean stop.
# Uses the binary of this build: no package installation, no rebuild.
add_test(NAME demo_self_test
         COMMAND ${PROJECT_SOURCE_DIR}/scripts/demo --self-test --no-deps
                 --no-build --build-dir ${PROJECT_BINARY_DIR})
set_tests_properties(demo_self_test PROPERTIES
  LABELS integration TIMEOUT 300 RESOURCE_LOCK loopback-servers
  ENVIRONMENT "GW_BINARY=$<TARGET_FILE:xmpp-sip-gateway>;PYTHONDONTWRITEBYTECODE=1")
