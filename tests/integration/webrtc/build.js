// Bundles page.js (StanzaJS + the test client) for the browser: StanzaJS
// ships no browser bundle; Node's 'events' comes from the npm package.
'use strict';
const path = require('path');
const esbuild = require('esbuild');

const out = process.argv[2] || path.join(__dirname, 'dist', 'bundle.js');
esbuild.buildSync({
    entryPoints: [path.join(__dirname, 'page.js')],
    bundle: true,
    outfile: out,
    platform: 'browser',
    format: 'iife',
    target: ['chrome110'],
    define: { global: 'window' },
    logLevel: 'warning',
    legalComments: 'none'
});
console.log('bundle: ' + out);
