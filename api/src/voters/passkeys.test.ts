import { openStore, type Store } from '@paredao/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Passkeys } from './passkeys.js';

describe('Passkeys ceremonies', () => {
  let store: Store;
  let now: number;
  let passkeys: Passkeys;
  const origin = 'https://paredao.example';

  beforeEach(async () => {
    store = await openStore('sqlite::memory:');
    now = Date.UTC(2026, 11, 4, 22);
    passkeys = new Passkeys({ store, publicOrigins: [origin, 'http://localhost:8080'], ceremonyTtlMs: 60_000, now: () => now });
  });
  afterEach(() => store.close());

  const pending = { accountId: 'AAAAAAAAAAAAAAAAAAAAAA', cpfHmac: 'h'.repeat(64), cpfMasked: '•••.982.247-••' };

  it('when a ceremony starts, then its options carry the RP id of the page origin and a fresh challenge', async () => {
    const a = await passkeys.startRegistration(origin, pending);
    const b = await passkeys.startLogin('http://localhost:8080');
    expect(a.options).toMatchObject({ rp: { id: 'paredao.example' }, user: { name: '•••.982.247-••' }, authenticatorSelection: { residentKey: 'required', userVerification: 'required' } });
    expect(b.options).toMatchObject({ rpId: 'localhost', userVerification: 'required' });
    expect(a.options.challenge).not.toBe(b.options.challenge);
    expect(a.ceremonyId).not.toBe(b.ceremonyId);
    expect(a.expiresAt).toBe(now + 60_000);
  });

  it('when the origin is not one of PUBLIC_ORIGINS, then no ceremony starts', async () => {
    await expect(passkeys.startLogin('https://evil.example')).rejects.toMatchObject({ status: 403, code: 'cross_origin' });
    expect(() => passkeys.originOf(undefined)).toThrow(/outra origem/);
  });

  it('when a ceremony is answered, then it is used up, whatever the answer was', async () => {
    const c = await passkeys.startLogin(origin);
    // A garbage answer is refused, and the challenge is gone with it: no second try on the same one.
    await expect(passkeys.finishLogin(c.ceremonyId, { id: 'nope', response: {} })).rejects.toMatchObject({ status: 401, code: 'passkey_invalid' });
    await expect(passkeys.finishLogin(c.ceremonyId, { id: 'nope', response: {} })).rejects.toMatchObject({ status: 400, code: 'ceremony_expired' });
    expect(await store.takeCeremony(c.ceremonyId, now)).toBeNull();
  });

  it('when a ceremony is answered after it expired, then it is refused', async () => {
    const c = await passkeys.startRegistration(origin, pending);
    now += 60_000;
    await expect(passkeys.finishRegistration(c.ceremonyId, {})).rejects.toMatchObject({ code: 'ceremony_expired' });
  });

  it('when a sign-up ceremony is answered as a sign-in, then it is refused', async () => {
    const c = await passkeys.startRegistration(origin, pending);
    await expect(passkeys.finishLogin(c.ceremonyId, {})).rejects.toMatchObject({ code: 'ceremony_expired' });
  });

  it('when a sign-up answer is not a valid attestation, then it is refused as passkey_invalid', async () => {
    const c = await passkeys.startRegistration(origin, pending);
    await expect(passkeys.finishRegistration(c.ceremonyId, { id: 'x', rawId: 'x', type: 'public-key', response: { clientDataJSON: 'e30', attestationObject: 'oA' } })).rejects.toMatchObject({
      code: 'passkey_invalid',
    });
  });
});
