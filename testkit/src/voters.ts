import { randomUUID } from 'node:crypto';
import type { Store, VoteMessage } from '@paredao/core';
import { digitsOnlyVerifier } from '@paredao/api/voters/verifier';
import { VoterSessions } from '@paredao/api/voters/sessions';
import { voterParts, type VoterParts } from '@paredao/api/voters/voters';

/**
 * The voter-account parts of an app a test builds with createApp itself: fixed secrets, the
 * digits-only CPF check, no per-address limits. Tests of the voter routes start the real api instead
 * (tests/component/voters.test.ts).
 */
export function testVoterParts(store: Parameters<typeof voterParts>[0]['store'], publicOrigins: readonly string[]): VoterParts {
  return voterParts({
    store,
    publicOrigins,
    cpfHmacSecret: 'c'.repeat(32),
    sessionSecret: 'k'.repeat(64),
    sessionTtlMs: 60_000,
    verifier: digitsOnlyVerifier,
    signupsPerIpHour: 0,
    loginsPerIpMinute: 0,
  });
}

/**
 * Único votes as the api makes them, without the passkey ceremony: for each candidate a new voter
 * account and its claim in the store (decision 0005), then the vote messages the consumer counts. What
 * component tests and the Único bench use where the WebAuthn ceremony is not what they measure.
 */
export async function claimedUnicoVotes(
  store: Pick<Store, 'createVoterAccount' | 'claimUnico'>,
  paredaoId: string,
  candidateIds: readonly string[],
  acceptedAt: number,
): Promise<VoteMessage[]> {
  const votes: VoteMessage[] = [];
  for (const candidateId of candidateIds) {
    const { accountId, voteId } = { accountId: randomUUID(), voteId: randomUUID() };
    await createTestAccount(store, accountId, acceptedAt);
    const claim = await store.claimUnico({ paredaoId, voterKey: accountId, voteId, candidateId, acceptedAt });
    if (!claim.ok) throw new Error('a new account could not claim its Único vote');
    votes.push({ v: 1, voteId, paredaoId, candidateId, acceptedAt, mode: 'unico' });
  }
  return votes;
}

/** A new voter account with one passkey row, as a finished sign-up leaves it (no ceremony). */
export async function createTestAccount(store: Pick<Store, 'createVoterAccount'>, accountId: string, at = Date.now()): Promise<void> {
  const created = await store.createVoterAccount(
    { id: accountId, cpfHmac: `test-${accountId}`, cpfMasked: '•••.000.000-••', createdAt: at },
    { id: `cred-${accountId}`, accountId, publicKey: Buffer.from([1]), counter: 0, transports: [], createdAt: at, lastUsedAt: null },
  );
  if (created !== 'created') throw new Error('test account not created');
}

/**
 * A signed-in voter without the WebAuthn ceremony: an account and a session written to the api's store,
 * and the cookie the api would have set (the api's ADMIN_SESSION_SECRET signs it). For component tests
 * and the Único bench, which measure the vote, not the passkey sign-in.
 */
export async function signedInVoter(store: Pick<Store, 'createVoterAccount' | 'putVoterSession' | 'getVoterSession' | 'deleteVoterSession'>, sessionSecret: string): Promise<{ accountId: string; cookie: string }> {
  const accountId = randomUUID();
  await createTestAccount(store, accountId);
  return { accountId, cookie: await voterCookie(store, sessionSecret, accountId) };
}

/** Another session of an account (a second device): the `Cookie` header value for it. */
export async function voterCookie(store: Pick<Store, 'putVoterSession' | 'getVoterSession' | 'deleteVoterSession'>, sessionSecret: string, accountId: string): Promise<string> {
  const setCookie = await new VoterSessions(store, sessionSecret, 3_600_000).open(accountId, false);
  return setCookie.split(';')[0]!;
}
