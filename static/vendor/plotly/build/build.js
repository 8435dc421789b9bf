'use strict';

// Bundles entry.js into plotly-bearing.min.js with the options of plotly.js's own esbuild-config.js (iife,
// global `Plotly`, its plugins, aliases, defines and target), minified, and with these cuts, none of which
// changes what Bearing's charts do:
//  - the attributes' `description` and `hrName` texts, which only document the schema (plotly.js's own dist
//    bundles leave them out too);
//  - MapLibre's style sheet, which plotly.js injects when a map trace registers: none does here;
//  - culori with the color spaces CSS names only (the ones plotly.js parses), not all of them;
//  - the es6-weak-map polyfill: it exports the browser's WeakMap wherever there is one.
const fs = require('fs');
const path = require('path');
const acorn = require('acorn');
const { build } = require('esbuild');
const { environmentPlugin } = require('esbuild-plugin-environment');
const { glsl } = require('esbuild-plugin-glsl');
const InlineCSSPlugin = require('esbuild-plugin-inline-css');
const { version } = require('plotly.js/package.json');

const PLOTLY_SRC = path.dirname(require.resolve('plotly.js/src/core.js')) + path.sep;
const META_KEYS = new Set(['description', 'hrName']);

// The source without any `description: ...` or `hrName: ...` property of an object literal (whatever its
// value), each cut with the comma that follows it.
function withoutMetaProperties(code) {
    const cuts = [];
    (function visit(node) {
        if (!node || typeof node.type !== 'string') return;
        if (node.type === 'ObjectExpression') {
            node.properties.forEach((prop, i) => {
                if (prop.type !== 'Property' || prop.computed || prop.shorthand) return;
                const key = prop.key.type === 'Identifier' ? prop.key.name : prop.key.value;
                if (!META_KEYS.has(key)) return;
                const next = node.properties[i + 1];
                let end = next ? next.start : prop.end;
                if (!next) {
                    const comma = /^\s*,/.exec(code.slice(end));
                    if (comma) end += comma[0].length;
                }
                cuts.push([prop.start, end]);
            });
        }
        for (const value of Object.values(node)) {
            if (Array.isArray(value)) value.forEach(visit);
            else if (value && typeof value === 'object') visit(value);
        }
    })(acorn.parse(code, { ecmaVersion: 'latest', sourceType: 'script' }));
    let out = '';
    let at = 0;
    for (const [start, end] of cuts.sort((a, b) => a[0] - b[0])) {
        if (start < at) continue; // within a cut already
        out += code.slice(at, start);
        at = end;
    }
    return out + code.slice(at);
}

const withoutMeta = {
    name: 'bearing-without-meta',
    setup(b) {
        b.onLoad({ filter: /\.js$/ }, (args) => {
            if (!args.path.startsWith(PLOTLY_SRC)) return undefined;
            return { contents: withoutMetaProperties(fs.readFileSync(args.path, 'utf8')), loader: 'js' };
        });
    },
};

const smallerModules = {
    name: 'bearing-smaller-modules',
    setup(b) {
        b.onResolve({ filter: /^maplibre-gl\/dist\/maplibre-gl\.css$/ }, () => ({ path: 'maplibre-gl.css', namespace: 'bearing-empty' }));
        b.onLoad({ filter: /.*/, namespace: 'bearing-empty' }, () => ({ contents: '', loader: 'js' }));
        b.onResolve({ filter: /^culori$/ }, () => ({ path: path.join(__dirname, 'culori-css.mjs') }));
        b.onResolve({ filter: /^es6-weak-map$/ }, () => ({ path: path.join(__dirname, 'weakmap.js') }));
    },
};

const banner = `/**
* plotly.js (bearing - minified) v${version}: scatter, bar, heatmap, scattergl (strict)
* Copyright 2012-2026, Plotly, Inc.
* All rights reserved.
* Licensed under the MIT license
*/`;

build({
    entryPoints: [path.join(__dirname, 'entry.js')],
    outfile: path.join(__dirname, 'plotly-bearing.min.js'),
    format: 'iife',
    globalName: 'Plotly',
    bundle: true,
    minify: true,
    sourcemap: false,
    banner: { js: banner },
    plugins: [
        smallerModules,
        withoutMeta,
        InlineCSSPlugin(),
        glsl({ minify: true }),
        environmentPlugin({ NODE_DEBUG: false }),
    ],
    alias: {
        regl: '@plotly/regl',
        stream: 'stream-browserify',
    },
    define: {
        global: 'window',
        'define.amd': 'false',
    },
    target: 'es2016',
    logLevel: 'info',
}).catch(() => process.exit(1));
