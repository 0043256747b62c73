// bench_stanza.js DATADIR ITERATIONS: StanzaJS's own SDP <-> Jingle
// conversion on the inputs of tests/bench/bench_jsdp.c, text to text as in
// the C benchmark:
//   sdp-to-jingle: importFromSDP -> convertIntermediateToRequest -> jxt
//                  export of an <iq><jingle> -> XML text
//   jingle-to-sdp: jxt parse of the <iq> text -> import ->
//                  convertRequestToIntermediate -> exportToSDP
// Prints one line per case: "stanza <input> <direction> <rate>/s" or
// "stanza <input> <direction> n/a <reason>", then "stanza peak-rss <KiB>".
'use strict';
const fs = require('fs');
const path = require('path');
const { Registry, parse } = require('stanza/jxt');
const Protocol = require('stanza/protocol');
const { importFromSDP, exportToSDP } = require('stanza/jingle/sdp/Intermediate');
const {
    convertIntermediateToRequest,
    convertRequestToIntermediate
} = require('stanza/jingle/sdp/Protocol');

const ICE_UDP = 'urn:xmpp:jingle:transports:ice-udp:1';
const registry = new Registry();
registry.define(Protocol.default || Protocol);

function sdpToJingle(sdp) {
    const req = convertIntermediateToRequest(importFromSDP(sdp), 'initiator', ICE_UDP);
    req.action = 'session-initiate';
    req.sid = 'bench1';
    return registry.export('iq', { id: 'bench1', type: 'set', jingle: req }).toString();
}

function jingleToSdp(xml) {
    const iq = registry.import(parse(xml));
    return exportToSDP(convertRequestToIntermediate(iq.jingle, 'initiator'));
}

// Calls per second of CPU time (process.cpuUsage), as in bench_jsdp.c.
function rate(fn, input, iterations) {
    fn(input); // warm up (and fail early)
    for (let i = 0; i < Math.min(1000, iterations); i++) fn(input);
    const c0 = process.cpuUsage();
    for (let i = 0; i < iterations; i++) fn(input);
    const c = process.cpuUsage(c0);
    return iterations / ((c.user + c.system) / 1e6);
}

const dir = process.argv[2];
const iterations = parseInt(process.argv[3] || '20000', 10);
for (const name of ['webrtc-av-bundle-8cand', 'deskphone-polycom-offer']) {
    const sdp = fs.readFileSync(path.join(dir, name + '.sdp'), 'utf8');
    const xml = fs.readFileSync(path.join(dir, name + '.jingle.xml'), 'utf8');
    for (const [dirName, fn, input] of [['sdp-to-jingle', sdpToJingle, sdp],
                                        ['jingle-to-sdp', jingleToSdp, xml]]) {
        try {
            const r = rate(fn, input, iterations);
            console.log(`stanza ${name} ${dirName} ${r.toFixed(0)}/s`);
        } catch (e) {
            console.log(`stanza ${name} ${dirName} n/a ${String(e.message || e).split('\n')[0]}`);
        }
    }
}
console.log(`stanza peak-rss ${process.resourceUsage().maxRSS}`);
