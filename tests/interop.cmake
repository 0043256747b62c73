# Issue 15, section 1: libjsdp's Jingle <-> SDP against StanzaJS's, both
# ways, over the corpus' WebRTC SDPs (tests/interop/stanzajs/crosscheck.js,
# the inputs and every expected difference in its expected.ini).  It
# prints "StanzaJS agreement: N/M checks".  StanzaJS (npm stanza 12.22.1)
# is installed with `npm ci` from the committed package-lock.json into the
# build tree, again only when the lock changes (the npm registry is the
# only network access); node and npm are the machine's (scripts/deps).
find_program(GW_NODE node)
if(GW_NODE)
  add_test(NAME stanzajs_crosscheck
           COMMAND ${GW_NODE} ${CMAKE_CURRENT_SOURCE_DIR}/interop/stanzajs/crosscheck.js
                   --tool $<TARGET_FILE:jingle-sdp>
                   --work ${PROJECT_BINARY_DIR}/stanzajs-crosscheck
                   --data ${CMAKE_CURRENT_SOURCE_DIR}/data/jsdp)
else()
  add_test(NAME stanzajs_crosscheck
           COMMAND ${CMAKE_COMMAND} -E echo "node is not installed (scripts/deps installs it)")
  set_tests_properties(stanzajs_crosscheck PROPERTIES WILL_FAIL TRUE)
endif()
set_tests_properties(stanzajs_crosscheck PROPERTIES LABELS interop TIMEOUT 300)
