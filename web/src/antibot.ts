// The vote page's anti-bot check: a checkbox and a status line that solve the api's ALTCHA v2
// challenge in our own workers (antibot-worker.ts, pow.ts) and hand back the payload the api verifies
// with altcha-lib. It replaces the `altcha` web component, which was four fifths of the page's script
// and had to be parsed, compiled and mounted before the challenge was even asked for: on a slow phone
// that was seconds (docs/BENCHMARKS.md, "A vote on a phone"). Only what the page uses is here: SHA-256
// challenges (the api's only algorithm), solved in workers, expiry, abort.
//
// It speaks to the page as the widget did, with events on its host element: `statechange` {state,
// payload}, `verified` {payload}, `expired`. The events do not bubble; listen on the host, or on window
// in the capture phase.
import PowWorker from './antibot-worker.ts?worker';
import type { ShaChallengeParameters } from './pow.ts';

export type AntibotState = 'unverified' | 'verifying' | 'verified' | 'expired' | 'error';

/** An ALTCHA v2 challenge as GET /api/challenge and every vote answer carry it. */
export interface Challenge {
  parameters: ShaChallengeParameters & { expiresAt?: number };
  signature: string;
}

interface Solution {
  counter: number;
  derivedKey: string;
  /** The winning worker's hashing time, ms (its own clock). */
  time: number;
}

const CHALLENGE_URL = '/api/challenge';

/**
 * How many workers share a proof: one per core but one, so the page (its script, layout, the browser's
 * own threads) keeps a core while the proof is searched; at most 4, as many as a phone's fast cores.
 * Each worker is a new JavaScript engine instance to start: on a 2-core phone a second one would cost
 * more while the page loads than it gives back.
 */
export function workerCount(cores: number | undefined): number {
  return Math.min(4, Math.max(1, (cores || 2) - 1));
}

/** Started workers, kept for every proof of the page: starting one is the costly part on a slow phone. */
class Workers {
  private workers: Worker[] = [];
  private job = 0;

  constructor(private readonly count: number) {}

  /** Starts the workers if they are not running (loading the script, a new engine each). */
  warm(): void {
    while (this.workers.length < this.count) this.workers.push(new PowWorker());
  }

  /**
   * Searches the challenge's counters, worker i trying i, i + n, i + 2n… (every counter once, in order,
   * as a bot's best is: docs/ANTIBOT.md). The first key found wins; the others are told to stop.
   * Null when aborted.
   */
  solve(challenge: Challenge, signal: AbortSignal): Promise<Solution | null> {
    this.warm();
    const id = ++this.job;
    const workers = this.workers;
    return new Promise((resolve, reject) => {
      let pending = workers.length;
      const done = () => {
        for (const w of workers) {
          w.removeEventListener('message', onMessage);
          w.removeEventListener('error', onError);
        }
        signal.removeEventListener('abort', onAbort);
      };
      const stopOthers = () => {
        for (const w of workers) w.postMessage({ type: 'abort', id });
      };
      const onMessage = (ev: MessageEvent<{ id?: number; counter?: number; derivedKey?: string; time?: number; error?: string }>) => {
        const data = ev.data;
        if (data?.id !== id) return; // an answer to an earlier, aborted job
        if (data.error !== undefined) {
          done();
          stopOthers();
          reject(new Error(data.error));
        } else if (typeof data.counter === 'number' && typeof data.derivedKey === 'string') {
          done();
          stopOthers();
          resolve({ counter: data.counter, derivedKey: data.derivedKey, time: data.time ?? 0 });
        } else if (--pending === 0) {
          done();
          resolve(null);
        }
      };
      const onError = (ev: ErrorEvent) => {
        done();
        this.dispose(); // a worker that failed to start is not reused
        reject(new Error(ev.message || 'the proof-of-work worker failed'));
      };
      const onAbort = () => {
        done();
        stopOthers();
        resolve(null);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      workers.forEach((w, i) => {
        w.addEventListener('message', onMessage);
        w.addEventListener('error', onError);
        w.postMessage({ type: 'work', id, challenge, counterStart: i, counterStep: workers.length, counterMode: 'uint32' });
      });
    });
  }

  dispose(): void {
    for (const w of this.workers) w.terminate();
    this.workers = [];
  }
}

function isChallenge(x: unknown): x is Challenge {
  const c = x as Challenge | null;
  return typeof c === 'object' && c !== null && typeof c.signature === 'string' && typeof c.parameters === 'object' && c.parameters !== null;
}

async function fetchChallenge(signal: AbortSignal): Promise<Challenge> {
  const res = await fetch(CHALLENGE_URL, { signal, headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`GET ${CHALLENGE_URL}: ${res.status}`);
  const body: unknown = await res.json();
  if (!isChallenge(body)) throw new Error(`GET ${CHALLENGE_URL}: not a challenge`);
  return body;
}

/** The payload the api verifies (altcha-lib v2, as the `altcha` widget sends it). */
function payloadOf(challenge: Challenge, solution: Solution): string {
  return btoa(JSON.stringify({ challenge: { parameters: challenge.parameters, signature: challenge.signature }, solution }));
}

export interface AntibotElements {
  /** Where the events are dispatched (the check's box on the page). */
  host: HTMLElement;
  /** Checked once verified; a tap on it retries after a failure or an expiry. */
  checkbox: HTMLInputElement;
  /** The spoken status line (role="status"); its text is the page's, its data-state is set here. */
  status: HTMLElement;
}

export class Antibot {
  state: AntibotState = 'unverified';
  payload: string | null = null;
  private readonly workers = new Workers(workerCount(navigator.hardwareConcurrency));
  private controller: AbortController | null = null;
  private expiry: number | undefined;

  constructor(
    private readonly el: AntibotElements,
    /** What a tap on the checkbox does when there is no proof and none being made. */
    onRetry: () => void,
  ) {
    // Started at once, before there is a challenge: the page's first proof does not wait for them.
    this.workers.warm();
    el.checkbox.addEventListener('click', (ev) => {
      if (this.state === 'verifying' || this.state === 'verified') ev.preventDefault();
      else onRetry();
    });
  }

  /** Solves `challenge`, or a fresh one from the api when none is given; a search under way is dropped. */
  verify(challenge?: Challenge): void {
    this.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.setState('verifying');
    void (async () => {
      try {
        const c = challenge ?? (await fetchChallenge(controller.signal));
        if (c.parameters.algorithm !== 'SHA-256') throw new Error(`unsupported algorithm ${String(c.parameters.algorithm)}`);
        this.watchExpiry(c.parameters.expiresAt);
        const solution = await this.workers.solve(c, controller.signal);
        if (controller.signal.aborted) return;
        if (!solution) throw new Error('no solution found');
        this.payload = payloadOf(c, solution);
        this.setState('verified');
        this.dispatch('verified', { payload: this.payload });
      } catch (err) {
        if (controller.signal.aborted) return;
        console.warn('anti-bot check failed', err);
        this.setState('error');
      } finally {
        if (this.controller === controller) this.controller = null;
      }
    })();
  }

  /** Drops the proof and any search under way. */
  reset(): void {
    this.abort();
    window.clearTimeout(this.expiry);
    this.setState('unverified');
  }

  private abort(): void {
    this.controller?.abort();
    this.controller = null;
  }

  private watchExpiry(expiresAt: number | undefined): void {
    window.clearTimeout(this.expiry);
    if (typeof expiresAt !== 'number') return;
    this.expiry = window.setTimeout(() => {
      if (this.state === 'unverified') return;
      this.abort();
      this.setState('expired');
      this.dispatch('expired', null);
    }, Math.max(0, expiresAt * 1000 - Date.now()));
  }

  private setState(state: AntibotState): void {
    this.state = state;
    if (state !== 'verified') this.payload = null;
    const { checkbox, status, host } = this.el;
    checkbox.checked = state === 'verified';
    checkbox.setAttribute('aria-disabled', String(state === 'verifying' || state === 'verified'));
    host.setAttribute('aria-busy', String(state === 'verifying'));
    status.dataset.state = state;
    this.dispatch('statechange', { state, payload: this.payload });
  }

  private dispatch(type: string, detail: unknown): void {
    this.el.host.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
