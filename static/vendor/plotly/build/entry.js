'use strict';

// Bearing's plotly.js: the core of plotly.js's src/core.js with only the components Bearing's figures use,
// and the traces Bearing draws. scattergl is its "strict" variant, as in plotly.js's lib/index-strict.js:
// its WebGL programs are precompiled, so it runs without eval or new Function under a strict
// Content-Security-Policy.
//
// Left out of src/core.js: the promise polyfill (every browser has Promise) and the layout components no
// Bearing figure has: annotations3d, images, updatemenus, sliders, rangeslider and rangeselector.

var Registry = require('plotly.js/src/registry');
var register = Registry.register;

exports.version = require('plotly.js/src/version').version;
exports.register = register;

// plotly.js's style rules (Bearing links vendor/plotly/plotly.css instead; see the README)
require('plotly.js/build/plotcss');

var plotApi = require('plotly.js/src/plot_api');
Object.keys(plotApi).forEach(function(name) {
    if(name.charAt(0) !== '_') exports[name] = plotApi[name];
    register({moduleType: 'apiMethod', name: name, fn: plotApi[name]});
});

register(require('plotly.js/src/traces/scatter'));

register([
    require('plotly.js/src/components/annotations'),
    require('plotly.js/src/components/selections'),
    require('plotly.js/src/components/shapes'),
    require('plotly.js/src/components/grid'),
    require('plotly.js/src/components/errorbars'),
    require('plotly.js/src/components/colorscale'),
    require('plotly.js/src/components/colorbar'),
    require('plotly.js/src/components/legend'), // after shapes, as in src/core.js
    require('plotly.js/src/components/fx'), // after legend
    require('plotly.js/src/components/modebar')
]);

register([
    require('plotly.js/src/locale-en'),
    require('plotly.js/src/locale-en-us')
]);

exports.Icons = require('plotly.js/src/fonts/ploticon');

var Fx = require('plotly.js/src/components/fx');
var Plots = require('plotly.js/src/plots/plots');
exports.Plots = {resize: Plots.resize, graphJson: Plots.graphJson, sendDataToCloud: Plots.sendDataToCloud};
exports.Fx = {hover: Fx.hover, unhover: Fx.unhover, loneHover: Fx.loneHover, loneUnhover: Fx.loneUnhover};
exports.Snapshot = require('plotly.js/src/snapshot');
exports.PlotSchema = require('plotly.js/src/plot_api/plot_schema');

register([
    require('plotly.js/src/traces/bar'),
    require('plotly.js/src/traces/heatmap'),
    require('plotly.js/src/traces/scattergl/strict')
]);
