# Unit tests of config/ and the gateway's pure parts.
gw_add_unit_test(test_config SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_config.c
                 LIBS gwconfig)
gw_add_unit_test(test_gateway_units
                 SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_gateway_units.c
                 LIBS gwbridge)
gw_add_unit_test(test_sip_auth
                 SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_sip_auth.c
                 LIBS gwcore)
gw_add_unit_test(test_caps
                 SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_caps.c
                 LIBS gwxmpp)

# XEP-0115 caps: disco#info results come from any XMPP client. The fuzz
# target builds caps.c and stanza.c itself so that libFuzzer builds
# instrument them.
gw_add_fuzz_target(caps_fuzz
  SOURCES ${PROJECT_SOURCE_DIR}/gateway/xmpp/caps_fuzz.c
          ${PROJECT_SOURCE_DIR}/gateway/xmpp/caps.c
          ${PROJECT_SOURCE_DIR}/gateway/xmpp/stanza.c
  LIBS gwcore PkgConfig::STROPHE PkgConfig::UUID
  CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/data/caps/fuzz)
gw_add_unit_test(test_dedup
                 SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_dedup.c
                 LIBS gwcore)
