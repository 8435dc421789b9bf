'use strict';

// es6-weak-map exports the browser's WeakMap whenever there is one (every browser Bearing supports).
module.exports = WeakMap;
