# Run by `cmake --install` (install(SCRIPT) in gateway/CMakeLists.txt), so
# that the paths in the systemd unit follow the prefix given at install time
# (`cmake --install build --prefix /usr`) as well as at configure time.
# Needs GW_SOURCE_DIR, GW_BINARY_DIR and GW_INSTALL_BINDIR (set by an
# install(CODE) before).
set(prefix "${CMAKE_INSTALL_PREFIX}")
set(GW_BINDIR "${prefix}/${GW_INSTALL_BINDIR}")
if(prefix STREQUAL "/usr")
  set(GW_CONFDIR "/etc/xmpp-sip-gateway")
  set(unitdir "/lib/systemd/system")
else()
  set(GW_CONFDIR "${prefix}/etc/xmpp-sip-gateway")
  set(unitdir "${prefix}/lib/systemd/system")
endif()
set(GW_DOCDIR "${prefix}/share/doc/xmpp-sip-gateway")
set(dest "$ENV{DESTDIR}")

configure_file("${GW_SOURCE_DIR}/config/xmpp-sip-gateway.service.in"
               "${GW_BINARY_DIR}/xmpp-sip-gateway.service" @ONLY)
file(MAKE_DIRECTORY "${dest}${unitdir}")
message(STATUS "Installing: ${dest}${unitdir}/xmpp-sip-gateway.service")
file(COPY_FILE "${GW_BINARY_DIR}/xmpp-sip-gateway.service"
     "${dest}${unitdir}/xmpp-sip-gateway.service")

# the example becomes the configuration, unless there is one already
file(MAKE_DIRECTORY "${dest}${GW_CONFDIR}")
if(EXISTS "${dest}${GW_CONFDIR}/gateway.conf")
  message(STATUS "Keeping: ${dest}${GW_CONFDIR}/gateway.conf")
else()
  # under the unit, secrets come as systemd credentials (LoadCredential=)
  message(STATUS "Installing: ${dest}${GW_CONFDIR}/gateway.conf")
  file(READ "${GW_SOURCE_DIR}/config/gateway.conf.example" conf)
  string(REPLACE "secret_file = /etc/xmpp-sip-gateway/component.secret"
         "secret_file = \${CREDENTIALS_DIRECTORY}/xmpp-secret" conf "${conf}")
  file(WRITE "${dest}${GW_CONFDIR}/gateway.conf" "${conf}")
  file(CHMOD "${dest}${GW_CONFDIR}/gateway.conf"
       PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
endif()
