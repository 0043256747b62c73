// crosscheck.js: libjsdp against StanzaJS, both ways, on the corpus.
//
//   node crosscheck.js --tool JINGLE_SDP --work DIR --data DIR [--expect FILE]
//                      [--only NAME] [--show]
//
// For every input listed in the expectations file (default expected.ini
// next to this script; SDP from tests/data/jsdp, real WebRTC offers and
// answers with their origins in tests/data/jsdp/SOURCES.md), two checks:
//
//   ours->stanzajs  SDP --libjsdp (jingle-sdp to-jingle)--> Jingle XML
//                   --StanzaJS (jxt import, convertRequestToIntermediate,
//                   exportToSDP)--> SDP
//   stanzajs->ours  SDP --StanzaJS (importFromSDP,
//                   convertIntermediateToRequest, jxt export)--> Jingle XML
//                   --libjsdp (jingle-sdp to-sdp)--> SDP
//
// and each resulting SDP is compared with the input on what both formats
// carry (see aspects() below): codecs with fmtp, rtcp-fb, candidates, ICE
// credentials, fingerprints, setup, rtcp-mux, SSRCs (with their cname),
// SSRC groups, header extensions and the BUNDLE group, per m= section.
//
// A difference is StanzaJS's own when StanzaJS alone (its SDP -> Jingle ->
// SDP) gives the very same result: it loses that on its own, whoever is on
// the other side (its intermediate form holds one RTP encoding, sources
// with a cname only, codecs with an a=rtpmap only).  A check agrees when
// every difference it has is StanzaJS's own; it is identical when it has
// none.  Every difference must be listed in the expectations file with its
// reason, "stanzajs: ..." for StanzaJS's own ones (checked), and every
// listed one must still occur, so the list stays honest both ways.
// Prints one line per check and "StanzaJS agreement: N/M checks"; exit 0
// when everything is as listed, 1 otherwise, 2 on bad usage or a failed
// install.
//
// StanzaJS (npm stanza 12.22.1, with its sdp 3.2.2) is installed with
// `npm ci` from the package-lock.json next to this script into --work, and
// again only when the lock changes (the npm registry is the only network
// access).
'use strict';

const childProcess = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const HERE = __dirname;
const ICE_UDP = 'urn:xmpp:jingle:transports:ice-udp:1';

// ---- arguments and install ----------------------------------------------

function parseArgs(argv) {
    const opts = { expect: path.join(HERE, 'expected.ini'), show: false };
    for (let i = 2; i < argv.length; i++) {
        const a = argv[i];
        if (a === '--show') {
            opts.show = true;
        } else if (['--tool', '--work', '--data', '--expect', '--only'].includes(a) &&
                   i + 1 < argv.length) {
            opts[a.slice(2)] = argv[++i];
        } else {
            usage(`unknown argument '${a}'`);
        }
    }
    for (const k of ['tool', 'work', 'data']) {
        if (!opts[k]) usage(`--${k} is required`);
    }
    return opts;
}

function usage(msg) {
    process.stderr.write(`crosscheck: ${msg}\n` +
        'usage: node crosscheck.js --tool JINGLE_SDP --work DIR --data DIR ' +
        '[--expect FILE] [--only NAME] [--show]\n');
    process.exit(2);
}

// npm ci into work/, unless work/node_modules already came from this lock.
function install(work) {
    fs.mkdirSync(work, { recursive: true });
    const lock = fs.readFileSync(path.join(HERE, 'package-lock.json'));
    const sum = crypto.createHash('sha256').update(lock).digest('hex');
    const stamp = path.join(work, 'node_modules', '.gw-lock-sha256');
    let current = false;
    try {
        current = fs.readFileSync(stamp, 'utf8').trim() === sum;
    } catch (e) {
        current = false;
    }
    if (current) return;
    for (const f of ['package.json', 'package-lock.json']) {
        fs.copyFileSync(path.join(HERE, f), path.join(work, f));
    }
    const t = Date.now();
    const r = childProcess.spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'],
        { cwd: work, encoding: 'utf8', timeout: 240000 });
    if (r.status !== 0) {
        process.stderr.write(`crosscheck: npm ci failed in ${work}:\n` +
            `${r.error || ''}${r.stdout || ''}${r.stderr || ''}\n`);
        process.exit(2);
    }
    fs.writeFileSync(stamp, sum + '\n');
    process.stderr.write(`crosscheck: npm ci: ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
}

// ---- the expectations file ------------------------------------------------

// [input path relative to --data]
// role=initiator|responder      who wrote the SDP (offer or answer)
// note=...                      free text
// ours->stanzajs=ASPECT: why    one line per expected difference
// stanzajs->ours=ASPECT: why
function readExpectations(file) {
    const inputs = [];
    let cur = null;
    fs.readFileSync(file, 'utf8').split('\n').forEach((raw, n) => {
        const line = raw.trim();
        if (line === '' || line.startsWith('#')) return;
        const section = /^\[(.+)\]$/.exec(line);
        if (section) {
            cur = { name: section[1], role: 'initiator', expected: { 'ours->stanzajs': new Map(),
                                                                    'stanzajs->ours': new Map() } };
            inputs.push(cur);
            return;
        }
        const kv = /^([a-z>-]+)\s*=\s*(.*)$/.exec(line);
        if (!cur || !kv) throw new Error(`${file}:${n + 1}: cannot read '${line}'`);
        const [, key, value] = kv;
        if (key === 'role') {
            if (value !== 'initiator' && value !== 'responder') {
                throw new Error(`${file}:${n + 1}: role is initiator or responder`);
            }
            cur.role = value;
        } else if (key === 'note') {
            cur.note = value;
        } else if (cur.expected[key]) {
            const m = /^([a-z-]+(?:\[\d+\])?):\s*(.+)$/.exec(value);
            if (!m) throw new Error(`${file}:${n + 1}: expected 'ASPECT[section]: reason'`);
            cur.expected[key].set(m[1], m[2]);
        } else {
            throw new Error(`${file}:${n + 1}: unknown key '${key}'`);
        }
    });
    return inputs;
}

// ---- what an SDP says, for comparison ----------------------------------------

// RFC 3551 section 6: the static payload types an m= line may name without
// an a=rtpmap (RFC 4566 section 6: "there is no need for an a=rtpmap").
const STATIC_PT = {
    0: 'pcmu/8000/1', 3: 'gsm/8000/1', 4: 'g723/8000/1', 5: 'dvi4/8000/1', 6: 'dvi4/16000/1',
    7: 'lpc/8000/1', 8: 'pcma/8000/1', 9: 'g722/8000/1', 10: 'l16/44100/2', 11: 'l16/44100/1',
    12: 'qcelp/8000/1', 13: 'cn/8000/1', 14: 'mpa/90000/1', 15: 'g728/8000/1',
    16: 'dvi4/11025/1', 17: 'dvi4/22050/1', 18: 'g729/8000/1', 25: 'celb/90000/1',
    26: 'jpeg/90000/1', 28: 'nv/90000/1', 31: 'h261/90000/1', 32: 'mpv/90000/1',
    33: 'mp2t/90000/1', 34: 'h263/90000/1'
};

function splitSdp(sdp) {
    const session = [];
    const media = [];
    for (const raw of sdp.split('\n')) {
        const line = raw.replace(/\r$/, '').trim();
        if (line === '') continue;
        if (line.startsWith('m=')) {
            media.push({ mline: line.slice(2).split(/ +/), lines: [] });
        } else if (media.length > 0) {
            media[media.length - 1].lines.push(line);
        } else {
            session.push(line);
        }
    }
    return { session, media };
}

function attrs(lines, name) {
    const prefix = `a=${name}`;
    return lines.filter(l => l === prefix || l.startsWith(prefix + ':'))
        .map(l => (l.length > prefix.length ? l.slice(prefix.length + 1) : ''));
}

// "k=v;x" -> sorted ["k=v", "x"]: fmtp items are an unordered set
// (RFC 8866 leaves the syntax to the media type; every type in the corpus
// uses ';'-separated items, and blanks around them mean nothing).
function fmtpItems(text) {
    return text.split(';').map(s => s.trim()).filter(s => s !== '')
        .map(s => {
            const eq = s.indexOf('=');
            return eq < 0 ? s : `${s.slice(0, eq).trim()}=${s.slice(eq + 1).trim()}`;
        }).sort();
}

function codecsOf(m) {
    const out = [];
    if (!/RTP\//.test(m.mline[2] || '')) return out;
    for (const pt of m.mline.slice(3)) {
        const rtpmap = attrs(m.lines, 'rtpmap').find(v => v.split(' ')[0] === pt);
        let name;
        if (rtpmap) {
            const f = rtpmap.slice(pt.length + 1).trim().split('/');
            name = `${f[0].toLowerCase()}/${f[1]}/${f[2] || 1}`;
        } else {
            name = STATIC_PT[pt] || '(no rtpmap)';
        }
        const fmtp = attrs(m.lines, 'fmtp').find(v => v.split(' ')[0] === pt);
        let items = fmtp ? fmtpItems(fmtp.slice(pt.length + 1)) : [];
        // RFC 4733 7.1.1: telephone-event without its events list means
        // events 0-15, so "0-15" and nothing say the same
        if (name.startsWith('telephone-event/') && items.join(';') === '0-15') items = [];
        out.push({ pt, name, fmtp: items });
    }
    return out;
}

function rtcpFbOf(m, codecs) {
    const fbs = attrs(m.lines, 'rtcp-fb').map(v => {
        const sp = v.indexOf(' ');
        return { pt: v.slice(0, sp), what: v.slice(sp + 1).trim().replace(/ +/g, ' ') };
    });
    return codecs.map(c => {
        const set = new Set(fbs.filter(f => f.pt === c.pt || f.pt === '*').map(f => f.what));
        return `${c.pt}: ${[...set].sort().join(', ')}`;
    }).filter(s => !s.endsWith(': '));
}

function candidatesOf(m) {
    return attrs(m.lines, 'candidate').map(v => {
        const f = v.split(/ +/);
        const ext = {};
        for (let i = 8; i + 1 < f.length; i += 2) ext[f[i]] = f[i + 1];
        let s = `${f[0]} ${f[1]} ${f[2].toLowerCase()} ${f[3]} ${f[4]} ${f[5]} typ ${f[7]}`;
        // RFC 8839 5.1: raddr/rport are for reflexive and relayed ones
        if (f[7] !== 'host' && ext.raddr !== undefined) s += ` raddr ${ext.raddr} rport ${ext.rport}`;
        if (f[2].toLowerCase() === 'tcp' && ext.tcptype) s += ` tcptype ${ext.tcptype}`;
        return s;
    }).sort();
}

function ssrcsOf(m) {
    const cname = new Map();
    for (const v of attrs(m.lines, 'ssrc')) {
        const sp = v.indexOf(' ');
        const ssrc = v.slice(0, sp);
        const attr = v.slice(sp + 1);
        if (!cname.has(ssrc)) cname.set(ssrc, '');
        if (attr.startsWith('cname:')) cname.set(ssrc, attr.slice(6));
    }
    return [...cname].map(([s, c]) => `${s} cname:${c}`).sort();
}

// Everything compared, per m= section (index = position in the SDP).
function aspects(sdp) {
    const { session, media } = splitSdp(sdp);
    const mids = media.map(m => attrs(m.lines, 'mid')[0]);
    const out = { sections: [], bundle: [] };
    for (const g of attrs(session, 'group')) {
        const f = g.split(/ +/);
        if (f[0] !== 'BUNDLE') continue;
        out.bundle.push(f.slice(1).map(mid => {
            const i = mids.indexOf(mid);
            return i < 0 ? `?${mid}` : `#${i}`;
        }).join(' '));
    }
    for (const m of media) {
        const both = m.lines.concat(session);
        const codecs = codecsOf(m);
        const ufrag = attrs(both, 'ice-ufrag')[0];
        const pwd = attrs(both, 'ice-pwd')[0];
        const fps = attrs(m.lines, 'fingerprint');
        out.sections.push({
            'm-line': `${m.mline[0]} ${m.mline[2]}${m.mline[1] === '0' ? ' (rejected)' : ''}`,
            codecs: codecs.map(c => `${c.pt} ${c.name}${c.fmtp.length ? ' ' + c.fmtp.join(';') : ''}`),
            'rtcp-fb': rtcpFbOf(m, codecs),
            candidates: candidatesOf(m),
            ice: ufrag === undefined && pwd === undefined ? [] : [`${ufrag} ${pwd}`],
            fingerprint: (fps.length ? fps : attrs(session, 'fingerprint')).map(v => {
                const f = v.split(/ +/);
                return `${f[0].toLowerCase()} ${(f[1] || '').toUpperCase()}`;
            }).sort(),
            setup: attrs(both, 'setup').slice(0, 1),
            'rtcp-mux': attrs(m.lines, 'rtcp-mux').length > 0 ? ['yes'] : [],
            ssrcs: ssrcsOf(m),
            'ssrc-groups': attrs(m.lines, 'ssrc-group').map(v => v.trim().replace(/ +/g, ' ')).sort(),
            hdrext: attrs(m.lines, 'extmap').map(v => {
                const f = v.split(/ +/);
                const [id, dir] = f[0].split('/');
                return `${id} ${f[1]}${dir && dir !== 'sendrecv' ? ' ' + dir : ''}`;
            }).sort()
        });
    }
    return out;
}

function show(list) {
    return list.length ? list.join(' | ') : '(none)';
}

// The value of "aspect[i]" (or "bundle") in aspects(), as text.
function valueOf(asp, key) {
    if (asp === null) return '(no translation)';
    if (key === 'bundle') return JSON.stringify(asp.bundle);
    const m = /^([a-z-]+)\[(\d+)\]$/.exec(key);
    const section = m ? asp.sections[Number(m[2])] : undefined;
    if (!section) return '(none)';
    return JSON.stringify(m[1] === 'm-line' ? section['m-line'] : section[m[1]]);
}

// "aspect[i]" -> "want ... got ..." for each difference.
function compare(want, got) {
    const diffs = new Map();
    if (want.bundle.join(',') !== got.bundle.join(',')) {
        diffs.set('bundle', `want ${show(want.bundle)}, got ${show(got.bundle)}`);
    }
    const n = Math.max(want.sections.length, got.sections.length);
    for (let i = 0; i < n; i++) {
        const w = want.sections[i];
        const g = got.sections[i];
        if (!w || !g) {
            diffs.set(`m-line[${i}]`, `want ${w ? w['m-line'] : '(none)'}, got ${g ? g['m-line'] : '(none)'}`);
            continue;
        }
        for (const k of Object.keys(w)) {
            if (k === 'm-line') continue;
            if (JSON.stringify(w[k]) !== JSON.stringify(g[k])) {
                diffs.set(`${k}[${i}]`, `want ${show(w[k])}, got ${show(g[k])}`);
            }
        }
    }
    return diffs;
}

// ---- the two translators -----------------------------------------------------

function ours(tool, args, input) {
    const r = childProcess.spawnSync(tool, args, { input, encoding: 'utf8' });
    if (r.status !== 0) {
        throw new Error(`jingle-sdp ${args[0]}: ${(r.stderr || String(r.error)).trim()}`);
    }
    return { out: r.stdout, warnings: r.stderr.trim() };
}

function stanzajs(work) {
    const req = createRequire(path.join(work, 'package.json'));
    const { Registry, parse } = req('stanza/jxt');
    const Protocol = req('stanza/protocol');
    const { importFromSDP, exportToSDP } = req('stanza/jingle/sdp/Intermediate');
    const { convertIntermediateToRequest, convertRequestToIntermediate } =
        req('stanza/jingle/sdp/Protocol');
    const registry = new Registry();
    registry.define(Protocol.default || Protocol);
    return {
        toJingle(sdp, role) {
            // as MediaSession does: the SDP of the browser, in CRLF
            const text = sdp.split(/\r?\n/).join('\r\n');
            const req2 = convertIntermediateToRequest(importFromSDP(text), role, ICE_UDP);
            req2.action = role === 'initiator' ? 'session-initiate' : 'session-accept';
            req2.sid = 'crosscheck';
            return registry.export('iq', { id: 'x1', type: 'set', jingle: req2 }).toString();
        },
        toSdp(xml, role) {
            const iq = registry.import(parse(xml));
            return exportToSDP(convertRequestToIntermediate(iq.jingle, role));
        }
    };
}

// ---- main ------------------------------------------------------------------

function translate(opts, sj, role, direction, sdp) {
    const roleArgs = ['--role', role];
    let xml;
    if (direction === 'ours->stanzajs') {
        xml = ours(opts.tool, ['to-jingle'].concat(roleArgs), sdp).out;
        const wrapped = `<iq xmlns='jabber:client' type='set' id='x1'>${xml}</iq>`;
        return { xml, out: sj.toSdp(wrapped, role) };
    }
    if (direction === 'stanzajs->ours') {
        xml = sj.toJingle(sdp, role);
        return { xml, out: ours(opts.tool, ['to-sdp'].concat(roleArgs), xml).out };
    }
    xml = sj.toJingle(sdp, role); // StanzaJS alone, the reference
    return { xml, out: sj.toSdp(xml, role) };
}

// diffs: key -> { text, own }, own when StanzaJS alone gives the same.
function runCheck(opts, sj, input, direction, sdp, ref) {
    let result;
    try {
        result = translate(opts, sj, input.role, direction, sdp);
    } catch (e) {
        const text = String(e.message || e).split('\n')[0];
        return { diffs: new Map([['translation', { text, own: ref === null }]]) };
    }
    const got = aspects(result.out);
    const diffs = new Map();
    for (const [k, text] of compare(aspects(sdp), got)) {
        diffs.set(k, { text, own: ref !== null && valueOf(got, k) === valueOf(ref, k) });
    }
    return { xml: result.xml, out: result.out, diffs };
}

// What is wrong with a check's differences against its listed ones.
function problems(diffs, expected) {
    const out = [];
    for (const [k, d] of diffs) {
        const why = expected.get(k);
        if (why === undefined) {
            out.push(`unexpected ${k}${d.own ? ' (StanzaJS\'s own)' : ''}: ${d.text}`);
        } else if (why.startsWith('stanzajs:') !== d.own) {
            out.push(`${k} is ${d.own ? '' : 'not '}StanzaJS's own, listed ${d.own ? 'without' : 'with'} ` +
                `'stanzajs:': ${d.text}`);
        }
    }
    for (const k of expected.keys()) {
        if (!diffs.has(k)) out.push(`listed but agrees now: ${k}`);
    }
    return out;
}

function main() {
    const opts = parseArgs(process.argv);
    install(opts.work);
    const sj = stanzajs(opts.work);
    const inputs = readExpectations(opts.expect);
    const n = { total: 0, agree: 0, identical: 0, own: 0, failures: 0 };
    for (const input of inputs) {
        if (opts.only && !input.name.includes(opts.only)) continue;
        const sdp = fs.readFileSync(path.join(opts.data, input.name), 'utf8');
        let ref = null;
        try {
            ref = aspects(translate(opts, sj, input.role, 'stanzajs', sdp).out);
        } catch (e) {
            ref = null;
        }
        for (const direction of ['ours->stanzajs', 'stanzajs->ours']) {
            const result = runCheck(opts, sj, input, direction, sdp, ref);
            const bad = problems(result.diffs, input.expected[direction]);
            const own = [...result.diffs.values()].filter(d => d.own).length;
            const agrees = own === result.diffs.size;
            n.total++;
            n.agree += agrees ? 1 : 0;
            n.identical += result.diffs.size === 0 ? 1 : 0;
            n.own += own;
            n.failures += bad.length > 0 ? 1 : 0;
            const verdict = result.diffs.size === 0 ? 'identical'
                : `${agrees ? 'agrees' : 'DIFFERS'}: ${[...result.diffs]
                    .map(([k, d]) => k + (d.own ? ' (stanzajs)' : '')).join(', ')}`;
            console.log(`${bad.length ? 'FAIL' : 'ok  '} ${input.name} ${direction}: ${verdict}`);
            for (const b of bad) console.log(`       ${b}`);
            if (opts.show) {
                for (const [k, d] of result.diffs) console.log(`       ${k}: ${d.text}`);
                if (result.out) console.log(`--- jingle\n${result.xml}\n--- sdp\n${result.out}---`);
            }
        }
    }
    console.log(`StanzaJS agreement: ${n.agree}/${n.total} checks` +
        (n.total ? ` (${Math.round(100 * n.agree / n.total)} %)` : '') +
        `; identical to the input: ${n.identical}/${n.total}; ` +
        `differences StanzaJS makes on its own: ${n.own}`);
    if (n.failures > 0) {
        console.log(`crosscheck: ${n.failures} check(s) not as listed in ${opts.expect}`);
    }
    process.exit(n.failures > 0 ? 1 : 0);
}

main();
