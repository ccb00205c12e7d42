// What `require('kt')` finds on a Node.js that cannot require() an ES module (Node 22.0 to 22.11, and Node 20
// with --no-experimental-require-module); Node 20.19+ and 22.12+ load kt's ES modules through require() instead.
const error = new Error("kt is an ES module, which this Node.js cannot require(): use import (await import('kt') in CommonJS), or Node.js 20.19+ or 22.12+");
error.code = 'ERR_REQUIRE_ESM';
throw error;
