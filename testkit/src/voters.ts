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
