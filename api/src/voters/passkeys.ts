import { randomBytes } from 'node:crypto';
import type { Store, VoterAccount, VoterCredential, WebauthnCeremony } from '@paredao/core';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { AppError } from '../platform/errors.js';

export type PasskeyStore = Pick<Store, 'putCeremony' | 'takeCeremony' | 'getVoterCredential' | 'touchVoterCredential'>;

export interface PasskeyOptions {
  store: PasskeyStore;
  /** PUBLIC_ORIGINS: a ceremony may only be started from, and answered by, one of these. */
  publicOrigins: readonly string[];
  /** How long the browser and the person have to answer a ceremony. */
  ceremonyTtlMs: number;
  now?: () => number;
}

export interface Ceremony {
  ceremonyId: string;
  options: Record<string, unknown>;
  expiresAt: number;
}

const RP_NAME = 'Paredão BBB';

export const ceremonyExpired = () => new AppError(400, 'ceremony_expired', 'O pedido da passkey expirou ou já foi usado. Tente de novo.');
const passkeyInvalid = () => new AppError(401, 'passkey_invalid', 'A passkey não foi aceita. Tente de novo.');

/**
 * The WebAuthn ceremonies (@simplewebauthn/server). The challenge lives in the store as a ceremony row
 * that the answer takes and deletes, so it is single use across every api process and host, and dies
 * after `ceremonyTtlMs`. The RP id is the host name of the page's origin (one of PUBLIC_ORIGINS): a
 * passkey works on the host name it was made on. Browsers take no IP address as RP id.
 */
export class Passkeys {
  private readonly now: () => number;
  private readonly origins: Set<string>;

  constructor(private readonly opts: PasskeyOptions) {
    this.now = opts.now ?? Date.now;
    this.origins = new Set(opts.publicOrigins);
  }

  /** The page's origin (the `Origin` header a browser sends on every POST), if it is ours. */
  originOf(header: string | undefined): { origin: string; rpId: string } {
    if (!header || !this.origins.has(header)) throw new AppError(403, 'cross_origin', 'Requisição de outra origem recusada.');
    return { origin: header, rpId: new URL(header).hostname };
  }

  /** Starts a sign-up for an account-to-be whose CPF passed every check. */
  async startRegistration(origin: string, pending: NonNullable<WebauthnCeremony['pending']>): Promise<Ceremony> {
    const { rpId } = this.originOf(origin);
    const options = await generateRegistrationOptions({
      rpName: RP_NAME,
      rpID: rpId,
      // What the phone's passkey list shows: the masked CPF, never the whole number.
      userName: pending.cpfMasked,
      userDisplayName: `Voto Único ${pending.cpfMasked}`,
      userID: Buffer.from(pending.accountId, 'base64url'),
      attestationType: 'none',
      // A discoverable credential (sign-in needs no user name) that checks the person (fingerprint, face, PIN).
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      timeout: this.opts.ceremonyTtlMs,
    });
    return this.save({ kind: 'register', challenge: options.challenge, origin, rpId, pending }, options as unknown as Record<string, unknown>);
  }

  /** Checks the authenticator's answer to a sign-up; returns the account and its first passkey, not yet stored. */
  async finishRegistration(ceremonyId: string, response: unknown): Promise<{ account: VoterAccount; credential: VoterCredential }> {
    const c = await this.take(ceremonyId, 'register');
    const verified = await verdict(() =>
      verifyRegistrationResponse({
        response: response as RegistrationResponseJSON,
        expectedChallenge: c.challenge,
        expectedOrigin: c.origin,
        expectedRPID: c.rpId,
        requireUserVerification: true,
      }),
    );
    const at = this.now();
    const { accountId, cpfHmac, cpfMasked } = c.pending!;
    const cred = verified.registrationInfo.credential;
    return {
      account: { id: accountId, cpfHmac, cpfMasked, createdAt: at },
      credential: { id: cred.id, accountId, publicKey: Buffer.from(cred.publicKey), counter: cred.counter, transports: cred.transports ?? [], createdAt: at, lastUsedAt: null },
    };
  }

  /** Starts a sign-in with any passkey of this site (discoverable: the browser offers the person's own). */
  async startLogin(origin: string): Promise<Ceremony> {
    const { rpId } = this.originOf(origin);
    const options = await generateAuthenticationOptions({ rpID: rpId, userVerification: 'required', timeout: this.opts.ceremonyTtlMs });
    return this.save({ kind: 'login', challenge: options.challenge, origin, rpId }, options as unknown as Record<string, unknown>);
  }

  /** Checks a sign-in; returns the account id the passkey belongs to. */
  async finishLogin(ceremonyId: string, response: unknown): Promise<string> {
    const c = await this.take(ceremonyId, 'login');
    const id = (response as { id?: unknown } | null)?.id;
    // A passkey of a deleted account (still on the phone) or of another site: refused like a bad signature.
    const cred = typeof id === 'string' && id.length <= 1024 ? await this.opts.store.getVoterCredential(id) : null;
    if (!cred) throw passkeyInvalid();
    const verified = await verdict(() =>
      verifyAuthenticationResponse({
        response: response as AuthenticationResponseJSON,
        expectedChallenge: c.challenge,
        expectedOrigin: c.origin,
        expectedRPID: c.rpId,
        credential: { id: cred.id, publicKey: new Uint8Array(cred.publicKey), counter: cred.counter, transports: cred.transports },
        requireUserVerification: true,
      }),
    );
    await this.opts.store.touchVoterCredential(cred.id, verified.authenticationInfo.newCounter, this.now());
    return cred.accountId;
  }

  private async save(c: Omit<WebauthnCeremony, 'id' | 'expiresAt'>, options: Record<string, unknown>): Promise<Ceremony> {
    const ceremony: WebauthnCeremony = { ...c, id: randomBytes(18).toString('base64url'), expiresAt: this.now() + this.opts.ceremonyTtlMs };
    await this.opts.store.putCeremony(ceremony);
    return { ceremonyId: ceremony.id, options, expiresAt: ceremony.expiresAt };
  }

  private async take(id: string, kind: WebauthnCeremony['kind']): Promise<WebauthnCeremony> {
    const c = await this.opts.store.takeCeremony(id, this.now());
    if (!c || c.kind !== kind) throw ceremonyExpired();
    return c;
  }
}

/** The library's verdict: an answer it cannot read (it throws) and one it rejects are both a refused passkey. */
async function verdict<T extends { verified: boolean }>(check: () => Promise<T>): Promise<T & { verified: true }> {
  let v: T;
  try {
    v = await check();
  } catch {
    throw passkeyInvalid();
  }
  if (!v.verified) throw passkeyInvalid();
  return v as T & { verified: true };
}

/** A fresh account id: 128 random bits, base64url (also the WebAuthn user handle). */
export const newAccountId = (): string => randomBytes(16).toString('base64url');
