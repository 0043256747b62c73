# Per-user SIP accounts (issue 17): the password codec (table-driven) and
# the SQLite store, on files in a temporary directory.
gw_add_unit_test(test_accounts
                 SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_accounts.c
                 LIBS gwaccounts)
