// Waits on what a test stack has done, for tests that must not read it too early.
import type { Results } from '@paredao/contract';
import { openSqliteStore } from '@paredao/core/store/sqlite';
import { waitFor } from '@paredao/testkit/ports';
import type { Stack } from '@paredao/testkit/stack';

/**
 * The results as of now: each api worker serves the snapshot it last read from the store, so a read
 * may be up to one refresh old. Waits for one built after this call began (`updatedAt` is when its
 * worker read the store), which therefore holds every vote counted before it.
 */
export async function freshResults(stack: Stack, timeoutMs = 10_000): Promise<Results> {
  const since = Date.now();
  return waitFor('a results snapshot read after now', async () => {
    const r = await stack.results(stack.apiUrl);
    return Date.parse(r.updatedAt) > since ? r : undefined;
  }, timeoutMs);
}

/**
 * Posts a vote and waits until the store has applied it. It is queued behind everything queued before
 * it, so once it is applied, so is all of that: a check that nothing else was counted can follow.
 */
export async function markerVote(stack: Stack, candidateId = 'participante-1', timeoutMs = 30_000): Promise<void> {
  const sentAt = Date.now();
  const res = await stack.vote(candidateId);
  const { voteId } = (await res.json()) as { voteId?: string };
  if (res.status !== 202 || !voteId) throw new Error(`marker vote: HTTP ${res.status}`);
  const store = openSqliteStore(stack.storePath);
  try {
    await waitFor(`the marker vote ${voteId} applied`, async () => (await store.appliedSince(sentAt, 100_000)).some((v) => v.voteId === voteId), timeoutMs);
  } finally {
    await store.close();
  }
}
