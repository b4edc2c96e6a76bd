#!/usr/bin/env node
// Prints the ADMIN_PASSWORD_HASH for a password: node scripts/hash-password.mjs 'the password'
// (or with no argument, reads it from standard input). Same format as api/src/auth.ts verifies.
import { randomBytes, scryptSync } from 'node:crypto';
import { readFileSync } from 'node:fs';

const password = process.argv[2] ?? readFileSync(0, 'utf8').replace(/\r?\n$/, '');
if (!password || password.length < 8) {
  console.error('usage: node scripts/hash-password.mjs PASSWORD (at least 8 characters)');
  process.exit(2);
}
const [N, r, p] = [16384, 8, 1];
const salt = randomBytes(16);
const hash = scryptSync(password, salt, 32, { N, r, p, maxmem: 64 * 1024 * 1024 });
console.log(`scrypt:${N}:${r}:${p}:${salt.toString('base64')}:${hash.toString('base64')}`);
