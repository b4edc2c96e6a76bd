import { openStore, type Store } from '@paredao/core';
import type { Request } from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VoterSessions } from './sessions.js';

/** Just what VoterSessions reads of a request: the Cookie header and whether it came over HTTPS. */
const requestWith = (setCookie: string | undefined, secure = false) =>
  ({ headers: setCookie ? { cookie: setCookie.split(';')[0] } : {}, secure }) as unknown as Request;

describe('VoterSessions', () => {
  let store: Store;
  let now = 1_700_000_000_000;
  let sessions: VoterSessions;

  beforeEach(async () => {
    store = await openStore('sqlite::memory:');
    sessions = new VoterSessions(store, 'k'.repeat(64), 60_000, () => now);
  });
  afterEach(() => store.close());

  it('when a session is open, then the request carrying its cookie is that account until it expires', async () => {
    const setCookie = await sessions.open('acc-1', false);
    expect(setCookie).toMatch(/^paredao_voter=[\w-]+\.[\w-]+; Max-Age=60; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(await sessions.voterSession(requestWith(setCookie))).toEqual({ accountId: 'acc-1' });
    now += 60_000;
    expect(await sessions.voterSession(requestWith(setCookie))).toBeNull();
  });

  it('when the cookie is forged, absent, or signed under another secret, then nobody is signed in', async () => {
    const setCookie = await sessions.open('acc-1', false);
    const [id] = setCookie.split('=')[1]!.split('.');
    expect(await sessions.voterSession(requestWith(`paredao_voter=${id}.${'A'.repeat(43)}`))).toBeNull();
    expect(await sessions.voterSession(requestWith(undefined))).toBeNull();
    const other = new VoterSessions(store, 'j'.repeat(64), 60_000, () => now);
    expect(await other.voterSession(requestWith(setCookie))).toBeNull();
  });

  it('over HTTPS, then the cookie is __Host- and Secure, and only that one counts', async () => {
    const setCookie = await sessions.open('acc-2', true);
    expect(setCookie).toMatch(/^__Host-paredao_voter=[^;]+;.*; Secure(;|$)/);
    expect(await sessions.voterSession(requestWith(setCookie, true))).toEqual({ accountId: 'acc-2' });
    expect(await sessions.voterSession(requestWith(setCookie.replace('__Host-', ''), true))).toBeNull();
  });

  it('when the voter signs out, then the session is gone from the store, and the cookie is cleared', async () => {
    const setCookie = await sessions.open('acc-1', false);
    expect(await sessions.close(requestWith(setCookie))).toEqual(['paredao_voter=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict']);
    expect(await sessions.voterSession(requestWith(setCookie))).toBeNull();
  });
});
