// The voter accounts of Voto Único (/api/voters): sign-up with a CPF and a passkey, sign-in with the
// passkey, a cookie session. The WebAuthn options and responses are @simplewebauthn's JSON shapes,
// checked by the api's WebAuthn library, so here they are opaque objects with an upper size.
import { z } from 'zod';

const webauthnJson = z.record(z.string(), z.unknown()).describe("A WebAuthn JSON object as @simplewebauthn's browser and server packages exchange it");

/** POST /api/voters/register/options: the CPF, once, and a solved ALTCHA proof, as a vote carries. */
export const voterRegisterOptionsRequestSchema = z
  .object({
    cpf: z.string().max(32).describe('11 digits, with or without the usual dots and dash'),
    altcha: z.string().max(4096).optional().describe('The ALTCHA widget payload (base64 JSON of challenge and solution)'),
  })
  .strict();

/** The answer to either options request: a single-use ceremony id, and the options for the browser. */
export const voterCeremonySchema = z.object({
  ceremonyId: z.string().describe('Single use; send it back with the response, before `expiresAt`'),
  options: webauthnJson,
  expiresAt: z.string().datetime({ offset: true }),
});
export type VoterCeremony = z.infer<typeof voterCeremonySchema>;

/** POST /api/voters/register/verify and /login/verify: the ceremony id and what the authenticator made. */
export const voterVerifyRequestSchema = z
  .object({
    ceremonyId: z.string().min(1).max(64),
    response: webauthnJson,
  })
  .strict();

/** The signed-in voter: the CPF only masked, never whole. */
export const voterMeSchema = z.object({
  cpf: z.string().describe('Masked: •••.456.789-••'),
  createdAt: z.string().datetime({ offset: true }),
});
export type VoterMe = z.infer<typeof voterMeSchema>;

/** POST /api/voters/vote: the signed-in voter's one Voto Único in the open paredão (decision 0005). */
export const unicoVoteRequestSchema = z.object({ candidateId: z.string().min(1).max(64) }).strict();
export type UnicoVoteRequest = z.infer<typeof unicoVoteRequestSchema>;

/** The 202: the vote is claimed for this person and confirmed by the broker. */
export const unicoVoteAcceptedSchema = z.object({ voteId: z.string(), candidateId: z.string() });
export type UnicoVoteAccepted = z.infer<typeof unicoVoteAcceptedSchema>;

/** The 409 `already_voted`: this person's Único vote in this paredão exists, for `candidateId`. */
export const alreadyVotedSchema = z.object({
  error: z.object({ code: z.literal('already_voted'), message: z.string() }),
  candidateId: z.string().describe('Whom the person voted for (the claim that won)'),
});
export type AlreadyVoted = z.infer<typeof alreadyVotedSchema>;
