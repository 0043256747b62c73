// A real WebRTC XMPP client for the gateway's end-to-end call test.
//
// StanzaJS (bundled by build.js) logged in to Prosody over WebSocket, with
// the browser's own RTCPeerConnection; calls are set up the way
// Conversations does it: JMI (XEP-0353) <propose>/<proceed>, then Jingle
// session-initiate without candidates, trickled transport-info, DTLS-SRTP.
// StanzaJS has no JMI, so its elements are defined here for StanzaJS's
// JXT registry.
//
// The page exposes window.T (called by driver.js through page.evaluate):
//   login(wsURL, jid, password)   log in, send presence
//   call(toBareJID)               propose; resolves with the sid once the
//                                 Jingle session is started
//   answerNext(timeoutMs)         waits for a <propose>, sends <proceed>,
//                                 accepts the session-initiate that follows
//   dtmfInband(digits)            RFC 4733 through RTCDTMFSender
//   dtmfJingle(digits)            XEP-0181 session-info, one per digit
//   hangup()                      session-terminate <success/>
//   state()                       ICE/DTLS/packet counters of the session
//   takeRecording()               16-bit mono PCM of what was received
//                                 since the remote track appeared, as a
//                                 base64 WAV
// and reports events to the driver through window.report (exposeFunction).
import * as XMPP from 'stanza';

const NS_JMI = 'urn:xmpp:jingle-message:0';
const NS_JINGLE = 'urn:xmpp:jingle:1';
const NS_RTP = 'urn:xmpp:jingle:apps:rtp:1';
const NS_DTMF = 'urn:xmpp:jingle:dtmf:0';
const NS_HINTS = 'urn:xmpp:hints';
const REASONS = ['alternative-session', 'busy', 'cancel', 'connectivity-error',
    'decline', 'expired', 'failed-application', 'failed-transport',
    'general-error', 'gone', 'incompatible-parameters', 'media-error',
    'security-error', 'success', 'timeout', 'unsupported-applications',
    'unsupported-transports'];

function report(type, data) {
    const ev = { type, t: Date.now(), ...(data || {}) };
    try {
        if (window.report) {
            window.report(JSON.stringify(ev));
        }
    } catch (e) {
        // the driver is gone: nothing to report to
    }
}

// XEP-0353 for StanzaJS's registry: message.jmi = {type, id, media, reason}
function defineJMI(client) {
    const { attribute, childAttribute, childDoubleEnum, multipleChildAttribute } = XMPP.JXT;
    const defs = ['propose', 'proceed', 'accept', 'reject', 'retract',
        'finish', 'ringing'].map(el => ({
        element: el,
        namespace: NS_JMI,
        path: 'message.jmi',
        type: el,
        typeField: 'type',
        fields: {
            id: attribute('id'),
            media: childAttribute(NS_RTP, 'description', 'media'),
            // every <description media/> (audio and video: issue 18)
            medias: multipleChildAttribute(NS_RTP, 'description', 'media'),
            reason: childDoubleEnum(NS_JINGLE, ['reason'], REASONS)
        }
    }));
    // XEP-0181 in a session-info
    defs.push({
        element: 'dtmf',
        namespace: NS_DTMF,
        path: 'iq.jingle.info',
        type: NS_DTMF,
        fields: {
            code: attribute('code'),
            duration: attribute('duration'),
            volume: attribute('volume')
        }
    });
    // the <store/> processing hint JMI messages carry
    defs.push({
        element: 'store',
        namespace: NS_HINTS,
        path: 'message.storeHint',
        fields: {}
    });
    client.stanzas.define(defs);
}

// ---- what the browser receives: raw PCM through MediaStreamTrackProcessor
// (no AudioContext, which headless Chromium may not have an output for)
class Recorder {
    constructor(track) {
        this.rate = 48000;
        this.chunks = [];
        this.samples = 0;
        this.stopped = false;
        this.frames = 0;
        this.run(track);
    }
    async run(track) {
        try {
            const proc = new MediaStreamTrackProcessor({ track });
            const reader = proc.readable.getReader();
            this.reader = reader;
            for (;;) {
                const { value, done } = await reader.read();
                if (done || this.stopped) {
                    if (value) value.close();
                    break;
                }
                this.rate = value.sampleRate;
                const n = value.numberOfFrames;
                const buf = new Float32Array(n);
                // channel 0, as float32 (Chromium converts on copyTo)
                value.copyTo(buf, { planeIndex: 0, format: 'f32-planar' });
                value.close();
                this.chunks.push(buf);
                this.samples += n;
                this.frames++;
            }
        } catch (e) {
            report('error', { where: 'recorder', message: String(e) });
        }
    }
    stop() {
        this.stopped = true;
        if (this.reader) {
            this.reader.cancel().catch(() => undefined);
        }
    }
    wav() {
        const pcm = new Int16Array(this.samples);
        let o = 0;
        for (const c of this.chunks) {
            for (let i = 0; i < c.length; i++) {
                const v = Math.max(-1, Math.min(1, c[i]));
                pcm[o++] = Math.round(v * 32767);
            }
        }
        const header = new ArrayBuffer(44);
        const dv = new DataView(header);
        const w = (off, s) => { for (let i = 0; i < s.length; i++) dv.setUint8(off + i, s.charCodeAt(i)); };
        w(0, 'RIFF');
        dv.setUint32(4, 36 + pcm.byteLength, true);
        w(8, 'WAVE');
        w(12, 'fmt ');
        dv.setUint32(16, 16, true);
        dv.setUint16(20, 1, true);
        dv.setUint16(22, 1, true);
        dv.setUint32(24, this.rate, true);
        dv.setUint32(28, this.rate * 2, true);
        dv.setUint16(32, 2, true);
        dv.setUint16(34, 16, true);
        w(36, 'data');
        dv.setUint32(40, pcm.byteLength, true);
        const bytes = new Uint8Array(44 + pcm.byteLength);
        bytes.set(new Uint8Array(header), 0);
        bytes.set(new Uint8Array(pcm.buffer), 44);
        let bin = '';
        for (let i = 0; i < bytes.length; i += 0x8000) {
            bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
        }
        return btoa(bin);
    }
}

const T = {
    client: null,
    session: null,
    recorder: null,
    stream: null,
    proposals: [],
    waiters: [],

    async login(wsURL, jid, password) {
        const client = XMPP.createClient({
            jid,
            password,
            resource: 'webrtc',
            transports: { websocket: wsURL, bosh: false },
            jingle: {
                // loopback only: no STUN servers (there is no way out)
                iceServers: [],
                // StanzaJS's default; rtpengine's answer carries no BUNDLE
                // group of its own (the gateway adds the offer's back)
                bundlePolicy: 'balanced',
                trickleIce: true,
                createPeerConnection: (session, opts) => this.createPC(opts)
            }
        });
        this.client = client;
        defineJMI(client);
        // T.transportInfoPwd: transport-info carries the ICE pwd with the
        // ufrag, as Conversations sends it (StanzaJS sends the ufrag alone)
        const sendIQ = client.sendIQ.bind(client);
        client.sendIQ = iq => {
            const j = iq && iq.jingle;
            if (this.transportInfoPwd && j && j.action === 'transport-info' && this.session) {
                const d = this.session.pc.localDescription;
                const m = d && d.sdp ? d.sdp.match(/^a=ice-pwd:(\S+)/m) : null;
                for (const c of j.contents || []) {
                    if (c.transport && c.transport.usernameFragment && !c.transport.password && m) {
                        c.transport.password = m[1];
                    }
                }
            }
            return sendIQ(iq);
        };
        client.on('raw:incoming', xml => report('xml-in', { xml }));
        client.on('raw:outgoing', xml => report('xml-out', { xml }));
        client.on('message', msg => this.onMessage(msg));
        client.on('jingle:incoming', session => this.onIncoming(session));
        client.on('jingle:terminated', (session, reason) => {
            report('terminated', {
                sid: session.sid,
                reason: reason && reason.condition,
                text: reason && reason.text
            });
        });
        client.on('jingle:ringing', session => report('ringing', { sid: session.sid }));
        client.on('jingle:accepted', session => report('accepted', { sid: session.sid }));
        client.jingle.on('log', (level, msg, ...data) => {
            if (level !== 'debug') {
                report('jingle-log', { level, msg: String(msg) + (data.length ? ' ' + data.map(String).join(' ') : '') });
            }
        });
        client.jingle.on('peerTrackAdded', (session, track, stream) => this.onTrack(session, track, stream));
        this.stream = await navigator.mediaDevices.getUserMedia({
            audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
            video: false
        });
        await new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error('login timed out')), 10000);
            client.once('session:started', () => {
                clearTimeout(timer);
                resolve();
            });
            client.once('auth:failed', () => {
                clearTimeout(timer);
                reject(new Error('authentication failed'));
            });
            client.connect();
        });
        await client.getRoster().catch(() => undefined);
        client.sendPresence();
        report('online', { jid: client.jid });
        return client.jid;
    },

    // Diagnostics: T.stripRemoteSsrc drops a=ssrc lines from what the
    // peer sent, to tell SSRC signalling problems from media problems
    createPC(opts) {
        const pc = new RTCPeerConnection(opts);
        const set = pc.setRemoteDescription.bind(pc);
        pc.setRemoteDescription = desc => {
            report('remote-sdp', { sdpType: desc.type, sdp: desc.sdp });
            if (this.stripRemoteSsrc && desc && desc.sdp) {
                desc = { type: desc.type, sdp: desc.sdp.replace(/^a=ssrc(-group)?:.*\r?\n/gm, '') };
            }
            return set(desc);
        };
        return pc;
    },

    setOption(name, value) {
        this[name] = value;
        return true;
    },

    onMessage(msg) {
        if (msg.jmi) {
            report('jmi', { from: msg.from, jmi: msg.jmi });
            if (msg.jmi.type === 'propose') {
                this.proposals.push(msg);
            }
        }
        for (const w of this.waiters.slice()) {
            if (w.pred(msg)) {
                this.waiters.splice(this.waiters.indexOf(w), 1);
                w.resolve(msg);
            }
        }
        if (msg.receipt && msg.receipt.type === 'request' && msg.id) {
            this.client.sendMessage({ to: msg.from, receipt: { type: 'received', id: msg.id } });
        }
    },

    waitMessage(pred, ms, what) {
        return new Promise((resolve, reject) => {
            const w = { pred, resolve };
            this.waiters.push(w);
            setTimeout(() => {
                const i = this.waiters.indexOf(w);
                if (i >= 0) {
                    this.waiters.splice(i, 1);
                    reject(new Error('no ' + what + ' in ' + ms + ' ms'));
                }
            }, ms);
        });
    },

    // A stream with her microphone and, for a video call, the fake
    // camera (--use-fake-device-for-media-stream: a test picture)
    async mediaStream(video) {
        if (!video) return this.stream;
        if (!this.camera) {
            const cam = await navigator.mediaDevices.getUserMedia({
                audio: false, video: { width: 320, height: 240, frameRate: 15 }
            });
            this.camera = cam.getVideoTracks()[0];
        }
        return new MediaStream([...this.stream.getAudioTracks(), this.camera]);
    },

    onTrack(session, track, stream) {
        report('track', { sid: session.sid, kind: track.kind, inStream: !!stream });
        if (track.kind === 'video') {
            // decoded for a sink: a playing <video> element
            const v = document.createElement('video');
            v.srcObject = new MediaStream([track]);
            v.autoplay = true;
            v.muted = true;
            document.body.appendChild(v);
            v.play().catch(e => report('error', { where: 'play video', message: String(e) }));
            return;
        }
        if (track.kind !== 'audio' || this.recorder) return;
        // an SDP without a=msid (rtpengine's) gives a track in no stream:
        // play it in one of our own
        const own = new MediaStream([track]);
        if (this.onRemoteStream) this.onRemoteStream(own);
        // Chromium decodes remote WebRTC audio only while something plays
        // it: without an (unmuted) element a track processor gets nothing
        const el = document.createElement('audio');
        el.srcObject = own;
        el.autoplay = true;
        document.body.appendChild(el);
        el.play().catch(e => report('error', { where: 'play', message: String(e) }));
        this.recorder = new Recorder(track);
    },

    // ---- XMPP -> SIP: JMI propose, proceed, session-initiate
    async call(to, video) {
        const sid = 'w' + Math.random().toString(36).slice(2, 12);
        const id = 'jm-propose-' + sid;
        const receipt = this.waitMessage(
            m => m.receipt && m.receipt.type === 'received' && m.receipt.id === id,
            8000, 'receipt');
        const proceed = this.waitMessage(
            m => m.jmi && m.jmi.id === sid && m.jmi.type !== 'propose',
            15000, 'proceed');
        this.client.sendMessage({
            to,
            id,
            type: 'chat',
            // medias, not media: with both fields defined StanzaJS
            // exports no <description/> from media alone
            jmi: { type: 'propose', id: sid, medias: video ? ['audio', 'video'] : ['audio'] },
            receipt: { type: 'request' },
            storeHint: {}
        });
        await receipt;
        report('receipt', { sid });
        const answer = await proceed;
        if (answer.jmi.type !== 'proceed') {
            throw new Error('the call was refused: ' + answer.jmi.type + ' ' +
                JSON.stringify(answer.jmi.reason || null));
        }
        const session = this.client.jingle.createMediaSession(
            answer.from, sid, await this.mediaStream(video));
        this.session = session;
        await session.start();
        report('initiated', { sid, peer: answer.from });
        return sid;
    },

    // ---- SIP -> XMPP: propose from the gateway, proceed, accept
    async answerNext(ms, video) {
        let p = this.proposals.shift();
        if (!p) {
            p = await this.waitMessage(m => m.jmi && m.jmi.type === 'propose', ms, 'propose');
            const i = this.proposals.indexOf(p);
            if (i >= 0) this.proposals.splice(i, 1);
        }
        const sid = p.jmi.id;
        this.expectSid = sid;
        const incoming = new Promise((resolve, reject) => {
            this.incomingWaiter = { sid, resolve };
            setTimeout(() => reject(new Error('no session-initiate')), ms);
        });
        // XEP-0353: accept on our own account, proceed to the caller
        this.client.sendMessage({
            to: this.client.jid.split('/')[0], type: 'chat',
            jmi: { type: 'accept', id: sid }, storeHint: {}
        });
        this.client.sendMessage({
            to: p.from, id: 'jm-proceed-' + sid, type: 'chat',
            jmi: { type: 'proceed', id: sid }, storeHint: {}
        });
        const session = await incoming;
        this.session = session;
        const local = await this.mediaStream(video);
        for (const track of local.getTracks()) {
            session.addTrack(track, local);
        }
        await session.accept();
        report('answered', { sid, from: p.from });
        return sid;
    },

    onIncoming(session) {
        report('incoming', { sid: session.sid, peer: session.peerID });
        if (this.incomingWaiter && this.incomingWaiter.sid === session.sid) {
            const w = this.incomingWaiter;
            this.incomingWaiter = null;
            w.resolve(session);
        } else {
            session.end('decline');
        }
    },

    dtmfInband(digits) {
        const sender = this.session.pc.getSenders().find(s => s.track && s.track.kind === 'audio');
        if (!sender || !sender.dtmf) throw new Error('no DTMF sender');
        if (!sender.dtmf.canInsertDTMF) throw new Error('telephone-event was not negotiated');
        sender.dtmf.ontonechange = e => report('dtmf-tone', { tone: e.tone });
        sender.dtmf.insertDTMF(digits, 200, 150);
        return true;
    },

    async dtmfJingle(digits) {
        const s = this.session;
        for (const code of digits) {
            await this.client.sendIQ({
                to: s.peerID,
                type: 'set',
                jingle: {
                    action: 'session-info',
                    sid: s.sid,
                    initiator: s.isInitiator ? this.client.jid : s.peerID,
                    info: { infoType: NS_DTMF, code, duration: '300' }
                }
            });
            await new Promise(r => setTimeout(r, 450));
        }
        return true;
    },

    // XEP-0167 session-info <hold/> or <active/> (StanzaJS sends only that)
    async holdCall(on) {
        if (!this.session) throw new Error('no session');
        if (on) await this.session.hold(); else await this.session.resume();
        return true;
    },

    hangup() {
        if (this.session) this.session.end('success');
        return true;
    },

    remoteSsrcs(pc) {
        const d = pc.remoteDescription;
        const found = new Set();
        for (const m of (d && d.sdp ? d.sdp.matchAll(/^a=ssrc:(\d+)/gm) : [])) {
            found.add(Number(m[1]));
        }
        return [...found];
    },

    async state() {
        const s = this.session;
        if (!s) return null;
        const out = {
            sid: s.sid,
            ice: s.pc.iceConnectionState,
            connection: s.pc.connectionState,
            signaling: s.pc.signalingState,
            sessionState: s.state,
            recorded: this.recorder ? this.recorder.samples : 0,
            // what the peer's description announced (XEP-0339 <source/>)
            signalledSsrcs: this.remoteSsrcs(s.pc)
        };
        try {
            const stats = await s.pc.getStats();
            stats.forEach(r => {
                if (r.type === 'inbound-rtp' && r.kind === 'audio') {
                    out.packetsReceived = (out.packetsReceived || 0) + r.packetsReceived;
                    out.bytesReceived = (out.bytesReceived || 0) + r.bytesReceived;
                    out.inboundSsrcs = (out.inboundSsrcs || []).concat([r.ssrc]);
                }
                if (r.type === 'outbound-rtp' && r.kind === 'audio') {
                    out.packetsSent = r.packetsSent;
                    out.bytesSent = r.bytesSent;
                }
                if (r.type === 'transport') {
                    out.dtlsState = r.dtlsState;
                    out.dtlsRole = r.dtlsRole;
                    out.srtpCipher = r.srtpCipher;
                }
                // issue 18: video each way
                if (r.type === 'inbound-rtp' && r.kind === 'video') {
                    out.video = out.video || {};
                    out.video.framesDecoded = (out.video.framesDecoded || 0) + (r.framesDecoded || 0);
                    out.video.packetsReceived = (out.video.packetsReceived || 0) + r.packetsReceived;
                    out.video.frameWidth = r.frameWidth;
                    out.video.decoder = r.decoderImplementation;
                    out.video.pliSent = r.pliCount;
                }
                if (r.type === 'outbound-rtp' && r.kind === 'video') {
                    out.video = out.video || {};
                    out.video.framesEncoded = r.framesEncoded;
                    out.video.packetsSent = r.packetsSent;
                    out.video.pliReceived = r.pliCount;
                }
                if (r.type === 'codec' && r.mimeType) {
                    out.codecs = (out.codecs || []).concat([r.mimeType]);
                }
            });
        } catch (e) {
            out.statsError = String(e);
        }
        return out;
    },

    // Peak level of what the session receives, read for ms by a fresh
    // track processor and by WebAudio (diagnostics)
    async probe(ms) {
        const s = this.session;
        const r = s && s.pc.getReceivers().find(x => x.track && x.track.kind === 'audio');
        if (!r) return null;
        const out = { muted: r.track.muted, readyState: r.track.readyState, enabled: r.track.enabled };
        const reader = new MediaStreamTrackProcessor({ track: r.track }).readable.getReader();
        let max = 0, n = 0, rate = 0;
        const t0 = performance.now();
        while (performance.now() - t0 < ms) {
            const { value, done } = await Promise.race([reader.read(),
                new Promise(res => setTimeout(() => res({ done: true }), ms))]);
            if (done) break;
            const buf = new Float32Array(value.numberOfFrames);
            value.copyTo(buf, { planeIndex: 0, format: 'f32-planar' });
            rate = value.sampleRate;
            value.close();
            for (const x of buf) max = Math.max(max, Math.abs(x));
            n += buf.length;
        }
        reader.cancel().catch(() => undefined);
        Object.assign(out, { procMax: max, procSamples: n, procRate: rate });
        try {
            const ctx = new AudioContext();
            const src = ctx.createMediaStreamSource(new MediaStream([r.track]));
            const an = ctx.createAnalyser();
            an.fftSize = 2048;
            src.connect(an);
            await new Promise(res => setTimeout(res, ms));
            const d = new Float32Array(an.fftSize);
            an.getFloatTimeDomainData(d);
            let m = 0;
            for (const x of d) m = Math.max(m, Math.abs(x));
            out.webaudioMax = m;
            out.webaudioState = ctx.state;
            ctx.close();
        } catch (e) {
            out.webaudioError = String(e);
        }
        return out;
    },

    takeRecording() {
        const r = this.recorder;
        this.recorder = null;
        if (!r) return null;
        r.stop();
        return { rate: r.rate, samples: r.samples, wav: r.wav() };
    },

    reset() {
        if (this.recorder) this.recorder.stop();
        this.recorder = null;
        this.session = null;
        return true;
    }
};

window.T = T;
report('loaded', {});
