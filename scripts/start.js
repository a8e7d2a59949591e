#!/usr/bin/env node
// `npm start`: builds dist/ when the sources changed (scripts/build.js), then runs the server in
// this same process, so the signals npm passes on (SIGTERM, SIGINT) reach the server itself.
'use strict';
const { buildIfStale } = require('./build');

if (!buildIfStale()) process.exit(1);
require('../dist/api/main.js');
