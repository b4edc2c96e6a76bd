// The ALTCHA widget, set up for a strict CSP: the `external` build injects no <style> and spawns no
// blob: workers; its stylesheet and its proof-of-work workers are emitted by Vite as files of our own.
// The pool first: its workers start before the widget's own code runs.
import { takePowWorker } from './antibot-pool.ts';
import 'altcha/external';
import 'altcha/altcha.css';
import 'altcha/i18n/pt-br';
import Pbkdf2Worker from 'altcha/workers/pbkdf2?worker';
import ShaWorker from 'altcha/workers/sha?worker';
import type { AltchaWidgetElement } from 'altcha/types/generic';

// Every algorithm altcha-lib's v2 challenge may name with the bundled workers; Vite only fetches a
// worker file when one is constructed. Argon2id and scrypt are left out on purpose (45 kB each):
// the api must not pick them without adding their workers here. SHA-256, the api's, gets our own
// worker (antibot-worker.ts, pow.ts): a synchronous hashing loop, many times faster per attempt than
// altcha's, which awaits WebCrypto for every counter (docs/ANTIBOT.md, "The default difficulty on a
// throttled phone").
const algorithms: Record<string, () => Worker> = {
  'PBKDF2/SHA-256': () => new Pbkdf2Worker(),
  'PBKDF2/SHA-384': () => new Pbkdf2Worker(),
  'PBKDF2/SHA-512': () => new Pbkdf2Worker(),
  'SHA-256': takePowWorker,
  'SHA-384': () => new ShaWorker(),
  'SHA-512': () => new ShaWorker(),
};
for (const [name, create] of Object.entries(algorithms)) globalThis.$altcha.algorithms.set(name, create);

// The widget holds "verifying" for at least 500 ms by default, however soon the proof is found: on a
// phone that is half a second more before "Votar" can be tapped, for nothing.
globalThis.$altcha.defaults.set({ minDuration: 0 });

export type WidgetState = 'unverified' | 'verifying' | 'verified' | 'expired' | 'error' | 'code';

export type { AltchaWidgetElement };
