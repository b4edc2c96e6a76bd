#!/usr/bin/env node
// Prints the ADMIN_PASSWORD_HASH for a password, read from a prompt (on a terminal, not echoed) or
// from standard input (`printf %s "$pw" | node scripts/hash-password.mjs`). Never from the command
// line: arguments show in `ps`, /proc/*/cmdline and shell history.
// Same format and parameters as api/src/admin/password-hash.ts (hashPassword, SCRYPT_PARAMS).
import { randomBytes, scryptSync } from 'node:crypto';
import { readFileSync } from 'node:fs';

if (process.argv.length > 2) {
  console.error('hash-password: the password is not taken from the command line (it would show in ps and shell history).');
  console.error('  type it at the prompt:   node scripts/hash-password.mjs');
  console.error('  or pipe it:              printf %s "$PASSWORD" | node scripts/hash-password.mjs');
  process.exit(2);
}

/** Reads one line from the terminal with echo off. */
async function prompt(question) {
  process.stderr.write(question);
  process.stdin.setRawMode(true);
  process.stdin.resume();
  process.stdin.setEncoding('utf8');
  let line = '';
  return new Promise((resolve) => {
    process.stdin.on('data', function onData(chunk) {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          process.stdin.setRawMode(false);
          process.stdin.pause();
          process.stdin.off('data', onData);
          process.stderr.write('\n');
          resolve(line);
          return;
        }
        if (ch === '\u0003') process.exit(130);
        if (ch === '\u007f') line = line.slice(0, -1);
        else line += ch;
      }
    });
  });
}

const password = process.stdin.isTTY ? await prompt('password: ') : readFileSync(0, 'utf8').replace(/\r?\n$/, '');
if (!password || password.length < 8) {
  console.error('hash-password: the password must have at least 8 characters');
  process.exit(2);
}
// The scrypt parameters of api/src/admin/password-hash.ts SCRYPT_PARAMS (tests/config/security.test.ts checks they agree).
const [N, r, p] = [32768, 8, 3];
const salt = randomBytes(16);
const hash = scryptSync(password, salt, 32, { N, r, p, maxmem: 64 * 1024 * 1024 });
console.log(`scrypt:${N}:${r}:${p}:${salt.toString('base64')}:${hash.toString('base64')}`);
