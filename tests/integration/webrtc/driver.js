// Runs the test page in Debian's headless Chromium (playwright-core, never
// a downloaded browser) and lets the Python test call window.T over
// stdin/stdout, one JSON object a line:
//   in:  {"id": 1, "fn": "call", "args": ["1001@sip.localhost"]}
//   out: {"id": 1, "ok": true, "result": ...} or {"id": 1, "ok": false, "error": "..."}
//        {"event": {...}} for what the page reports (window.report)
// It serves index.html and the bundle itself on 127.0.0.1 (a secure
// context: getUserMedia works) and prints {"ready": true, "url": ...} once
// the page is loaded.
//
//   node driver.js --bundle dist/bundle.js --wav tone.wav [--chromium /usr/bin/chromium]
//                  [--profile DIR] [--url URL (a page served elsewhere, e.g.
//                  by scripts/demo, instead of our own)]
'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');
const readline = require('readline');
const { chromium } = require('playwright-core');

function arg(name, def) {
    const i = process.argv.indexOf('--' + name);
    return i >= 0 ? process.argv[i + 1] : def;
}
const bundle = arg('bundle', path.join(__dirname, 'dist', 'bundle.js'));
const wav = arg('wav');
const executablePath = arg('chromium', '/usr/bin/chromium');
const profile = arg('profile');
const pageURL = arg('url');

function out(obj) {
    process.stdout.write(JSON.stringify(obj) + '\n');
}

function serve() {
    const files = {
        '/': ['text/html', path.join(__dirname, 'index.html')],
        '/index.html': ['text/html', path.join(__dirname, 'index.html')],
        '/bundle.js': ['application/javascript', bundle]
    };
    const server = http.createServer((req, res) => {
        const f = files[req.url.split('?')[0]];
        if (!f) {
            res.writeHead(404);
            res.end();
            return;
        }
        res.writeHead(200, { 'Content-Type': f[0], 'Cache-Control': 'no-store' });
        fs.createReadStream(f[1]).pipe(res);
    });
    return new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function main() {
    const server = await serve();
    const url = pageURL || 'http://127.0.0.1:' + server.address().port + '/';
    const args = [
        '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--disable-dev-shm-usage',
        '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
        '--autoplay-policy=no-user-gesture-required',
        // without it Chromium gathers no candidates on loopback
        '--allow-loopback-in-peer-connection',
        '--disable-features=WebRtcHideLocalIpsWithMdns'
    ];
    if (wav) {
        args.push('--use-file-for-fake-audio-capture=' + wav);
    }
    // playwright mutes headless browsers by default (--mute-audio): that
    // silences received audio for WebAudio and track processors as well
    const opts = {
        executablePath, headless: true, args, timeout: 20000,
        ignoreDefaultArgs: ['--mute-audio']
    };
    let browser, context;
    if (profile) {
        context = await chromium.launchPersistentContext(profile, opts);
    } else {
        browser = await chromium.launch(opts);
        context = await browser.newContext();
    }
    const page = context.pages()[0] || await context.newPage();
    page.on('console', m => out({ event: { type: 'console', level: m.type(), text: m.text() } }));
    page.on('pageerror', e => out({ event: { type: 'pageerror', text: String(e) } }));
    await page.exposeFunction('report', s => out({ event: JSON.parse(s) }));
    await page.goto(url, { timeout: 15000 });
    await page.waitForFunction(() => !!window.T, null, { timeout: 10000 });
    out({ ready: true, url, version: (browser || context.browser()).version() });

    let closing = false;
    async function close(code) {
        if (closing) return;
        closing = true;
        try {
            await context.close();
            if (browser) await browser.close();
        } catch (e) {
            // already gone
        }
        server.close();
        process.exit(code);
    }
    process.on('SIGTERM', () => close(0));
    process.on('SIGINT', () => close(0));

    const rl = readline.createInterface({ input: process.stdin });
    rl.on('line', async line => {
        let req;
        try {
            req = JSON.parse(line);
        } catch (e) {
            return;
        }
        if (req.fn === '_quit') {
            out({ id: req.id, ok: true, result: null });
            await close(0);
            return;
        }
        try {
            const result = await page.evaluate(
                ([fn, a]) => window.T[fn](...a), [req.fn, req.args || []]);
            out({ id: req.id, ok: true, result: result === undefined ? null : result });
        } catch (e) {
            out({ id: req.id, ok: false, error: String(e && e.message || e) });
        }
    });
    rl.on('close', () => close(0));
}

main().catch(e => {
    out({ fatal: String(e && e.stack || e) });
    process.exit(2);
});
