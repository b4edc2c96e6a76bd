import type { Paredao } from '@paredao/contract';
import type { Store } from '@paredao/core';

/**
 * Puts an open paredão into a store, opened a minute ago, for tests and benchmarks that cast votes
 * into it. `candidates` maps each id to its name; `extra` sets any other field (`closesAt`).
 */
export async function insertOpenParedao(store: Store, id: string, title: string, candidates: Record<string, string>, extra: Partial<Paredao> = {}): Promise<Paredao> {
  const paredao: Paredao = {
    id,
    title,
    status: 'open',
    candidates: Object.entries(candidates).map(([candidateId, name]) => ({ id: candidateId, name })),
    openedAt: new Date(Date.now() - 60_000).toISOString(),
    createdAt: new Date().toISOString(),
    ...extra,
  };
  await store.insertParedao(paredao);
  return paredao;
}
