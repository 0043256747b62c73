# Unit tests of config/ and the gateway's pure parts.
gw_add_unit_test(test_config SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_config.c
                 LIBS gwconfig)
gw_add_unit_test(test_gateway_units
                 SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_gateway_units.c
                 LIBS gwcore)
gw_add_unit_test(test_sip_auth
                 SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_sip_auth.c
                 LIBS gwsipauth)
gw_add_unit_test(test_caps
                 SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_caps.c
                 LIBS gwcore)
