// The vote page's proof-of-work worker for SHA-256 challenges (antibot.ts). It speaks altcha's worker
// protocol, with a job id the page may add: {type: 'work', id?, challenge, counterStart, counterStep,
// counterMode, timeout} answered by {id, counter, derivedKey, time}, by {id} when aborted or out of
// time, or by {id, error}; {type: 'abort'} stops the search. A worker does one search at a time and is
// reused for the next: a new work message stops the one under way. The search itself is pow.ts.
import { ShaSearch, type ShaChallengeParameters } from './pow.ts';

interface WorkMessage {
  type: 'work';
  id?: number;
  challenge: { parameters: ShaChallengeParameters };
  counterStart?: number;
  counterStep?: number;
  counterMode?: 'uint32' | 'string';
  timeout?: number;
}

/** Counters tried between looks at the clock: a few ms of hashing even on a slow phone. */
const BATCH = 2048;
/** How long the search runs before it lets an abort message in. */
const SLICE_MS = 100;

let current: { aborted: boolean } | null = null;

const post = (message: unknown) => (self as unknown as Worker).postMessage(message);
const yieldToMessages = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

self.onmessage = (event: MessageEvent<WorkMessage | { type: 'abort' }>) => {
  const data = event.data;
  if (data?.type === 'abort') {
    if (current) current.aborted = true;
  } else if (data?.type === 'work') {
    if (current) current.aborted = true;
    void work(data);
  }
};

async function work(message: WorkMessage): Promise<void> {
  const job = { aborted: false };
  current = job;
  const id = message.id;
  const start = performance.now();
  const timeout = typeof message.timeout === 'number' && message.timeout > 0 ? message.timeout : 90_000;
  let search: ShaSearch;
  try {
    search = new ShaSearch(message.challenge?.parameters, {
      counterStart: message.counterStart ?? 0,
      counterStep: message.counterStep ?? 1,
      counterMode: message.counterMode ?? 'uint32',
    });
  } catch (err) {
    post({ id, error: err instanceof Error ? err.message : String(err) });
    return;
  }
  let sliceStart = start;
  for (;;) {
    const found = search.run(BATCH);
    if (found) {
      post({ id, ...found, time: Math.floor((performance.now() - start) * 10) / 10 });
      return;
    }
    const now = performance.now();
    if (search.exhausted || now - start > timeout) {
      post({ id });
      return;
    }
    if (now - sliceStart > SLICE_MS) {
      await yieldToMessages();
      if (job.aborted) {
        post({ id });
        return;
      }
      sliceStart = performance.now();
    }
  }
}
