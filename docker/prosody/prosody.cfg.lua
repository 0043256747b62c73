-- Prosody for docker/compose.yaml: the same server scripts/demo starts.
-- Everything variable comes from the environment (ENV_NAME is $NAME):
--   XMPP_DOMAIN (localhost), COMPONENT_DOMAIN (sip.localhost),
--   LISTEN_ADDRESS (127.0.0.1), XMPP_C2S_PORT (5222),
--   XMPP_COMPONENT_PORT (5347), XMPP_HTTP_PORT (5280, WebSocket),
--   COMPONENT_SECRET_FILE (/secrets/component.secret: its first line).
-- Plain connections and PLAIN passwords are allowed: a loopback demo.

local domain = ENV_XMPP_DOMAIN or "localhost"
local component = ENV_COMPONENT_DOMAIN or "sip.localhost"
local address = ENV_LISTEN_ADDRESS or "127.0.0.1"
local secret_file = ENV_COMPONENT_SECRET_FILE or "/secrets/component.secret"

local function first_line(path)
	local f = assert(io.open(path, "r"))
	local line = f:read("*l")
	f:close()
	return line
end

data_path = "/var/lib/prosody"
log = { { levels = { min = "info" }, to = "console" } }
c2s_ports = { tonumber(ENV_XMPP_C2S_PORT or "5222") }
c2s_interfaces = { address }
s2s_ports = { }
component_ports = { tonumber(ENV_XMPP_COMPONENT_PORT or "5347") }
component_interfaces = { address }
-- WebSocket clients: ws://ADDRESS:XMPP_HTTP_PORT/xmpp-websocket
http_ports = { tonumber(ENV_XMPP_HTTP_PORT or "5280") }
http_interfaces = { address }
https_ports = { }
consider_websocket_secure = true
cross_domain_websocket = true
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_plain"
storage = "internal"
modules_enabled = { "roster"; "saslauth"; "disco"; "ping"; "presence";
	"posix"; "carbons"; "pep"; "blocklist"; "vcard_legacy"; "version";
	"time"; "uptime"; "private"; "csi_simple"; "smacks"; "websocket" }
modules_disabled = { "s2s"; "tls" }

VirtualHost(domain)

Component(component)
	component_secret = first_line(secret_file)
