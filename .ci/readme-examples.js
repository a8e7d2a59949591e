#!/usr/bin/env node
// Runs the README's curl examples against a running server, as a reader would: every ```sh block
// that calls curl, command by command, in order, in the repository's folder. A placeholder such as
// `<model id>` or `<fine-tune job id>` is replaced by the first id of that type
// (gid://marketplace/Model/..., .../FineTuneJob/...) in the most recent answer that printed one,
// as a reader copies the id they were just shown. An answer with GraphQL `errors`, a non-empty
// `userErrors`, or a failing command fails the run, naming the command: a README that drifts from
// the API fails CI. A comment line right above a command that says it "answers the userError CODE"
// (e.g. an optional part that is off) makes that userError the expected answer instead.
//
// usage: node .ci/readme-examples.js [README.md] [--port N]  (N replaces the README's 4000)
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const args = process.argv.slice(2);
const portAt = args.indexOf('--port');
const port = portAt >= 0 ? args[portAt + 1] : '4000';
const readmePath = path.resolve(args.find((a, i) => !a.startsWith('--') && i !== portAt + 1) ?? 'README.md');
const cwd = path.dirname(readmePath);

/** The ```sh blocks of the README that call curl, as lists of logical commands. */
function exampleBlocks(markdown) {
  const blocks = [];
  const fence = /```sh\n([\s\S]*?)```/g;
  for (let match; (match = fence.exec(markdown));) {
    if (!/\bcurl\b/.test(match[1])) continue;
    const joined = match[1].replace(/\\\n\s*/g, ' ');
    // a comment line stays with the command below it: it may say which userError that answer has
    const lines = joined.split('\n').map((line) => line.trim()).filter(Boolean);
    const commands = [];
    let comment = '';
    for (const line of lines) {
      if (line.startsWith('#')) comment = line;
      else commands.push({ line, comment }), (comment = '');
    }
    blocks.push(commands);
  }
  return blocks;
}

/** `fine-tune job` -> `FineTuneJob`. */
function typeName(words) {
  return words.split(/[\s-]+/).map((w) => w[0].toUpperCase() + w.slice(1)).join('');
}

const answers = []; // most recent last
function substitute(command) {
  return command.replace(/<([a-z][a-z -]*?) id>/g, (placeholder, words) => {
    const type = typeName(words);
    const pattern = new RegExp(`gid://marketplace/${type}/[0-9a-f-]{36}`);
    for (let i = answers.length - 1; i >= 0; i--) {
      const found = pattern.exec(answers[i]);
      if (found) return found[0];
    }
    throw new Error(`no answer so far printed a ${type} id for ${placeholder}`);
  });
}

/** A comment `... answers the userError CODE` says that the command's answer has that userError (and no other problem). */
function expectedUserError(comment) {
  const match = /answers the userError ([A-Z_]+)/.exec(comment);
  return match ? match[1] : undefined;
}

function problemsOf(output, expectedCode) {
  let body;
  try {
    body = JSON.parse(output);
  } catch {
    return []; // not JSON (metrics, CSV): the command's exit status is the check
  }
  const problems = [];
  if (body && Array.isArray(body.errors) && body.errors.length) problems.push(`errors: ${JSON.stringify(body.errors)}`);
  const walk = (value) => {
    if (!value || typeof value !== 'object') return;
    if (Array.isArray(value.userErrors) && value.userErrors.length) {
      const expected = expectedCode && value.userErrors.every((e) => e.code === expectedCode);
      if (expected) expectedCode = undefined;
      else problems.push(`userErrors: ${JSON.stringify(value.userErrors)}`);
    }
    for (const child of Object.values(value)) walk(child);
  };
  walk(body && body.data);
  if (body && body.error) problems.push(`error: ${JSON.stringify(body.error)}`);
  if (expectedCode) problems.push(`the README says this answers the userError ${expectedCode}; it did not`);
  return problems;
}

const markdown = fs.readFileSync(readmePath, 'utf8');
const blocks = exampleBlocks(markdown);
if (!blocks.length) {
  console.error('the README has no curl examples');
  process.exit(1);
}
const assignments = []; // VAR=... lines, run again before each command (they are cheap reads)
let ran = 0;
for (const block of blocks) {
  for (const { line, comment } of block) {
    const command = substitute(line).replace(/localhost:4000\b/g, `localhost:${port}`);
    if (/^[A-Z_][A-Z0-9_]*=/.test(command)) {
      assignments.push(command);
      continue;
    }
    let output;
    try {
      output = execFileSync('bash', ['-c', [...assignments, command].join('\n')], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 });
    } catch (error) {
      console.error(`README example failed: ${line}\n${error.stderr || error.message}`);
      process.exit(1);
    }
    const problems = problemsOf(output.trim(), expectedUserError(comment));
    if (problems.length) {
      console.error(`README example answered with a problem: ${line}\n${problems.join('\n')}`);
      process.exit(1);
    }
    answers.push(output);
    ran++;
    console.log(`ok  ${line.length > 110 ? `${line.slice(0, 107)}...` : line}`);
  }
}
console.log(`README examples: ${ran} commands answered without errors`);
