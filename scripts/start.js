#!/usr/bin/env node
// `npm start`: builds dist/ when the sources changed (scripts/build.js), then runs the server in
// this same process, so the signals npm passes on (SIGTERM, SIGINT) reach the server itself.
// package.json starts it with `--v8-pool-size=1` (V8's garbage-collection helper threads; see
// the README's "Memory"): it must be given on the command line, V8 reads it once at start.
'use strict';
const { buildIfStale } = require('./build');

if (!buildIfStale()) process.exit(1);
require('../dist/api/main.js');
