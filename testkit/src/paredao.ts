import type { Paredao } from '@paredao/contract';
import type { Store } from '@paredao/core';

/**
 * An open paredão for tests, opened and created at 2026-01-01 UTC: `candidates` maps each id to its name
 * (two by default), `extra` sets any other field.
 */
export function paredaoFixture(id: string, title: string, candidates: Record<string, string> = { a: 'A', b: 'B' }, extra: Partial<Paredao> = {}): Paredao {
  return {
    id,
    title,
    status: 'open',
    candidates: Object.entries(candidates).map(([candidateId, name]) => ({ id: candidateId, name })),
    openedAt: '2026-01-01T00:00:00.000Z',
    createdAt: '2026-01-01T00:00:00.000Z',
    ...extra,
  };
}

/**
 * Puts an open paredão into a store, opened a minute ago, for tests and benchmarks that cast votes
 * into it. `candidates` maps each id to its name; `extra` sets any other field (`closesAt`).
 */
export async function insertOpenParedao(store: Store, id: string, title: string, candidates: Record<string, string>, extra: Partial<Paredao> = {}): Promise<Paredao> {
  const paredao = paredaoFixture(id, title, candidates, { openedAt: new Date(Date.now() - 60_000).toISOString(), createdAt: new Date().toISOString(), ...extra });
  await store.insertParedao(paredao);
  return paredao;
}
