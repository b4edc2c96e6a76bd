import { randomUUID } from 'node:crypto';
import type { Store, VoteMessage } from '@paredao/core';
import { digitsOnlyVerifier } from '@paredao/api/voters/verifier';
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
    await store.createVoterAccount(
      { id: accountId, cpfHmac: `test-${accountId}`, cpfMasked: '•••.000.000-••', createdAt: acceptedAt },
      { id: `cred-${accountId}`, accountId, publicKey: Buffer.from([1]), counter: 0, transports: [], createdAt: acceptedAt, lastUsedAt: null },
    );
    const claim = await store.claimUnico({ paredaoId, voterKey: accountId, voteId, candidateId, acceptedAt });
    if (!claim.ok) throw new Error('a new account could not claim its Único vote');
    votes.push({ v: 1, voteId, paredaoId, candidateId, acceptedAt, mode: 'unico' });
  }
  return votes;
}
