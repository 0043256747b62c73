# Integration tests: real Prosody, Kamailio, SIPp (and later rtpengine)
# started on loopback by the scripts themselves. Python from Debian
# (/usr/bin/python3) for python3-slixmpp.
set(GW_PYTHON /usr/bin/python3 CACHE FILEPATH "Python with slixmpp")
foreach(t messages link presence calls calls_ring calls_field calls_video sip ops accounts accounts_traffic accounts_custom)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_${t}.py)
    add_test(NAME integration_${t}
             COMMAND ${GW_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_${t}.py)
    set_tests_properties(integration_${t} PROPERTIES
      LABELS integration TIMEOUT 600 RESOURCE_LOCK loopback-servers
      ENVIRONMENT "GW_BINARY=$<TARGET_FILE:xmpp-sip-gateway>;PYTHONDONTWRITEBYTECODE=1")
  endif()
endforeach()
# The documentation against the program: docs/configuration.md's tables
# against --help-config (scripts/gen-config-doc), links between the docs.
# No servers, under a second: no loopback lock.
if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_docs.py)
  add_test(NAME integration_docs
           COMMAND ${GW_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_docs.py)
  set_tests_properties(integration_docs PROPERTIES
    LABELS "integration;docs" TIMEOUT 120
    ENVIRONMENT "GW_BINARY=$<TARGET_FILE:xmpp-sip-gateway>;PYTHONDONTWRITEBYTECODE=1")
endif()
include(${CMAKE_CURRENT_LIST_DIR}/demo.cmake OPTIONAL)
include(${CMAKE_CURRENT_LIST_DIR}/webrtc.cmake OPTIONAL)
# Issue 16: docker/ (the gateway's image, the compose stack) built and run
# with podman; the message both ways through the containers. Installs podman
# when missing; the first run makes the base image and builds (minutes),
# later runs reuse podman's cache. Exit 77 (skipped) when podman cannot run.
add_test(NAME integration_docker
         COMMAND ${GW_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_docker.py)
set_tests_properties(integration_docker PROPERTIES
  LABELS integration TIMEOUT 720 RESOURCE_LOCK loopback-servers
  SKIP_RETURN_CODE 77
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
