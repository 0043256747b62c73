#!/usr/bin/python3
"""Issue 15, calls in the field: who rings, and for how long. Cases 15.x,
against real Prosody (with and without mod_offline) and SIPp, on the
helpers of test_calls.py (6.x).

SIP calls an XMPP user:
  15.10 her server bounces the propose (Prosody without offline storage,
        no session): 480 at once, no <retract>, nothing left behind
  15.11 a bounce from anyone but her bare JID is ignored
  15.12 her presence reaches the gateway and says she is offline: 480 at
        once, no propose
  15.13 she is subscribed and online: rings as before
  15.20 her server stores the propose (mod_offline): rings until
        no_answer_s, then 480 + <retract> (both stored for her)
XMPP calls SIP:
  15.30 180, 180 again, 183 without SDP: one session-info <ringing/>
15.10-15.30 run twice: signalling only, and with rtpengine (no call left
in it either)."""

import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import gwtest  # noqa: E402
import test_calls  # noqa: E402
from gwtest import HOST, free_port  # noqa: E402
from test_calls import (JINGLE_AUDIO, NS_J, NS_JMI, RINGING,  # noqa: E402
                        CallsBase, is_jingle, jmi, uac_call, uas_call)
from test_ops import http_get, metric  # noqa: E402

NS_RTP_INFO = "urn:xmpp:jingle:apps:rtp:info:1"
NO_ANSWER_S = 6  # CallsBase's calls.no_answer_s
OFFLINE = {"direction": "sip_to_xmpp", "reason": "offline"}


def is_ringing(sid):
    def pred(s):
        return (is_jingle("session-info", sid)(s) and
                s.find(f"{{{NS_J}}}jingle/{{{NS_RTP_INFO}}}ringing") is not None)
    return pred


class RingBase(CallsBase):
    """CallsBase with /metrics on, and timing of a SIP call to a user."""
    relay = "none"

    @classmethod
    def extra_config(cls):
        cls.http_port = free_port()
        return {"admin__http_listen": f"{HOST}:{cls.http_port}",
                "admin__http_allow": "127.0.0.1"}

    # the InboundCases helper: her client online, subscribed both ways
    callee = test_calls.InboundCases.callee

    def metrics(self):
        return http_get(self.http_port, "/metrics")[2]

    def relay_calls(self):
        """The ng "list" answer of our rtpengine (bencoded bytes)."""
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(1)
        try:
            s.sendto(b"l1 d7:command4:liste", (HOST, self.rtpe.port))
            return s.recv(4096)
        finally:
            s.close()

    def wait_no_calls(self):
        """None left in the gateway, nor in rtpengine when it has one."""
        wait_for = gwtest.wait_for
        wait_for(lambda: metric(self.metrics(), "gw_calls_active") == 0,
                 5, 0.1, "no call left")
        if self.relay == "rtpengine":
            wait_for(lambda: b"5:callsle" in self.relay_calls(), 5, 0.1,
                     "no call left in rtpengine")

    def call_user(self, user, final, timeout=30):
        """SIPp calls user and expects `final`; seconds it took."""
        t0 = time.monotonic()
        uac = self.sipp.start(uac_call(user=user, final=final),
                              remote=self.gw_target(), timeout=timeout)
        self.assertEqual(uac.wait(timeout + 5), 0, uac.errors())
        return time.monotonic() - t0

    def sid_of(self, pattern):
        """The sid of the last call whose log line matches pattern (a
        regex with the sid as its first group)."""
        found = re.findall(pattern, self.gw.log())
        self.assertTrue(found, pattern)
        return found[-1]


class RingNoOfflineStorage(RingBase):
    """Prosody without mod_offline (which it loads by itself unless
    disabled): a chat message to a user with no available resource
    bounces (mod_message.lua process_to_bare())."""
    prosody_disabled = ("offline",)

    def test_15_10_bounced_propose_is_480_at_once(self):
        """15.10 carol has no session and no subscription: the propose
        bounces (service-unavailable from her bare JID): 480 within ~2 s,
        no <retract>, the call counted as offline and gone"""
        failed = metric(self.metrics(), "gw_calls_failed_total", **OFFLINE) or 0
        took = self.call_user("carol", 480)
        self.assertLess(took, 5, f"480 after {took:.1f} s")
        print(f"\n15.10: 480 after {took:.2f} s (SIPp start included)",
              file=sys.stderr)
        sid = self.sid_of(r"call (\S+): her server bounced the propose "
                          r"\(service-unavailable\): nobody to ring")
        self.wait_no_calls()
        self.assertEqual(metric(self.metrics(), "gw_calls_failed_total",
                                **OFFLINE), failed + 1)
        # nobody got the propose: nothing to retract
        self.assertNotRegex(self.gw.log(), rf"<retract[^>]*id=.{re.escape(sid)}")

    def test_15_11_forged_bounce_ignored(self):
        """15.11 bob answers alice's propose's id with a message error:
        ignored, she still rings; her reject -> 603"""
        bob = gwtest.XmppClient(self.env, "bob", resource="r1511").connect()
        self.addCleanup(bob.close)
        uac = self.sipp.start(uac_call(final=603), remote=self.gw_target(),
                              timeout=30)
        p = self.alice.wait(jmi("propose"), what="propose")
        sid = p.find(f"{{{NS_JMI}}}propose").get("id")
        bob.send_raw(f"<message type='error' to='{p.get('from')}' "
                     f"id='{p.get('id')}'><error type='cancel'>"
                     f"<service-unavailable xmlns='{gwtest.NS_STANZAS}'/>"
                     "</error></message>")
        self.gw.proc.wait_log(re.escape(f"call {sid}: error to our propose "
                                        f"from {bob.jid}, not {self.alice.bare}"
                                        ": ignored"), 5)
        self.alice.send_raw(
            f"<message type='chat' to='{p.get('from')}'><reject xmlns='{NS_JMI}' "
            f"id='{sid}'><reason xmlns='{NS_J}'><decline/></reason></reject></message>")
        self.assertEqual(uac.wait(30), 0, uac.errors())
        self.wait_no_calls()

    def test_15_12_known_offline_is_480_at_once(self):
        """15.12 bob shares his presence with the gateway, then goes
        offline: the INVITE gets 480 at once, without 180 or propose"""
        bob = self.callee("bob", "r1512", JINGLE_AUDIO + [NS_JMI])
        self.gw.proc.wait_log(re.escape(f"presence of {bob.bare} is now "), 5)
        bob.close()
        self.gw.proc.wait_log(re.escape(f"presence of {bob.bare} is now "
                                        "offline"), 5)
        failed = metric(self.metrics(), "gw_calls_failed_total", **OFFLINE) or 0
        took = self.call_user("bob", 480)
        self.assertLess(took, 5, f"480 after {took:.1f} s")
        sid = self.sid_of(r"call (\S+): " + re.escape(bob.bare) +
                          r" has no client online \(her presence says no "
                          r"client is online\): 480 at once, no propose")
        self.assertNotRegex(self.gw.log(), rf"<propose[^>]*id=.{re.escape(sid)}")
        self.wait_no_calls()
        self.assertEqual(metric(self.metrics(), "gw_calls_failed_total",
                                **OFFLINE), failed + 1)

    def test_15_13_subscribed_and_online_rings(self):
        """15.13 bob shares his presence and is online (a JMI client):
        the propose rings him as before; his reject -> 603"""
        bob = self.callee("bob", "r1513", JINGLE_AUDIO + [NS_JMI])
        uac = self.sipp.start(uac_call(user="bob", final=603),
                              remote=self.gw_target(), timeout=30)
        p = bob.wait(jmi("propose"), what="propose")
        sid = p.find(f"{{{NS_JMI}}}propose").get("id")
        self.gw.proc.wait_log(re.escape(f"call {sid}: JMI propose to "
                                        f"{bob.bare}: {bob.jid} advertises "
                                        "JMI"), 5)
        bob.send_raw(
            f"<message type='chat' to='{p.get('from')}'><reject xmlns='{NS_JMI}' "
            f"id='{sid}'><reason xmlns='{NS_J}'><decline/></reason></reject></message>")
        self.assertEqual(uac.wait(30), 0, uac.errors())
        self.wait_no_calls()

    def test_15_30_ringing_once(self):
        """15.30 XMPP calls SIP; the SIP side sends 180, 180 again and 183
        without SDP: one session-info <ringing/>, then session-accept"""
        progress = gwtest.sipp_ok(status="183 Session Progress",
                                  to_tag="[pid]SIPpTag01[call_number]",
                                  headers=("Contact: <sip:[local_ip]:[local_port]>",))
        pause = '  <pause milliseconds="200"/>\n'
        scen = uas_call().replace(RINGING, RINGING + pause + RINGING + pause
                                  + progress, 1)
        uas = self.uas(scen)
        sid = "call1530"
        gw_full = self.place_call(sid)
        r = self.alice.wait(is_ringing(sid), what="ringing")
        self.ack(r)
        acc = self.alice.wait(is_jingle("session-accept", sid),
                              what="session-accept")
        self.ack(acc)
        with self.assertRaises(AssertionError):
            self.alice.wait(is_ringing(sid), timeout=0.5, what="2nd ringing")
        self.assertEqual(len(re.findall(
            re.escape(f"call {sid}: the SIP side rings ("), self.gw.log())), 1)
        self.set_jingle(gw_full, f"<jingle xmlns='{NS_J}' action='session-terminate' "
                        f"sid='{sid}'><reason><success/></reason></jingle>", "st-" + sid)
        self.assertEqual(uas.wait(20), 0, uas.errors())
        self.wait_no_calls()


class RingNoOfflineStorageRtpengine(RingNoOfflineStorage):
    """The same with the media anchored in rtpengine: a call ended before
    the propose (15.12) or on its bounce (15.10) leaves nothing in it."""
    relay = "rtpengine"


class RingOfflineStorage(RingBase):
    """Prosody with mod_offline, as Prosody 0.12 runs by default (it loads
    it by itself): it stores every chat message to a user with no available
    resource (mod_offline.lua, the message/offline/handle hook), so a
    propose never bounces."""
    prosody_modules = ("offline",)  # loaded anyway; said for the reader

    def test_15_20_stored_propose_rings_until_no_answer(self):
        """15.20 carol has no session: her server stores the propose; the
        call rings until no_answer_s, then 480; she finds the propose and
        its <retract> when she logs in"""
        took = self.call_user("carol", 480)
        self.assertGreater(took, NO_ANSWER_S - 0.5, f"480 after {took:.1f} s")
        self.assertLess(took, NO_ANSWER_S + 5, f"480 after {took:.1f} s")
        sid = self.sid_of(r"call (\S+) not answered in time")
        self.assertNotIn("bounced the propose", self.gw.log())
        self.wait_no_calls()
        carol = gwtest.XmppClient(self.env, "carol", resource="r1520").connect()
        self.addCleanup(carol.close)
        p = carol.wait(jmi("propose", sid), what="stored propose")
        self.assertIsNotNone(p.find("{urn:xmpp:delay}delay"))
        carol.wait(jmi("retract", sid), what="stored retract")


class RingOffline(RingOfflineStorage):
    """[calls] ring_offline = true: the propose goes out even when her
    presence says she has no client online, for her server to store (a
    client that a push notification wakes)."""

    @classmethod
    def extra_config(cls):
        return dict(super().extra_config(), calls__ring_offline="true")

    def test_15_21_ring_offline_rings_until_no_answer(self):
        """15.21 bob shares his presence, then goes offline; with
        ring_offline the propose is stored and the call rings until
        no_answer_s (480), where 15.12 gets 480 at once"""
        bob = self.callee("bob", "r1521", JINGLE_AUDIO + [NS_JMI])
        self.gw.proc.wait_log(re.escape(f"presence of {bob.bare} is now "), 5)
        bob.close()
        self.gw.proc.wait_log(re.escape(f"presence of {bob.bare} is now "
                                        "offline"), 5)
        took = self.call_user("bob", 480)
        self.assertGreater(took, NO_ANSWER_S - 0.5, f"480 after {took:.1f} s")
        self.assertNotIn("has no client online", self.gw.log())
        sid = self.sid_of(r"call (\S+) not answered in time")
        self.wait_no_calls()
        bob = gwtest.XmppClient(self.env, "bob", resource="r1521b").connect()
        self.addCleanup(bob.close)
        bob.wait(jmi("propose", sid), what="stored propose")


del CallsBase, RingBase  # only the concrete classes run

if __name__ == "__main__":
    gwtest.main()
