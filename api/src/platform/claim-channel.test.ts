import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { streamChannel } from './claim-channel.js';
import { ArbiterClient, HostArbiter, serveArbiter } from './cluster-arbiter.js';

/** Two ends of one real Unix-socket stream, as the primary and a worker hold the claim stream. */
async function socketPair(): Promise<{ a: Socket; b: Socket; close: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'claim-channel-'));
  const path = join(dir, 's');
  const server: Server = createServer();
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const b = connect(path);
  const a = await accepted;
  await new Promise<void>((resolve) => (b.connecting ? b.once('connect', () => resolve()) : resolve()));
  return {
    a,
    b,
    close: () => {
      a.destroy();
      b.destroy();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const id = (n: number) => `${(n + 0x10000).toString(16).padStart(16, '0')}${'e'.repeat(16)}`;
let cleanup: (() => void) | null = null;
afterEach(() => {
  cleanup?.();
  cleanup = null;
});

describe('the claim stream between a worker and the primary', () => {
  it('when messages are written whole, several at once or cut anywhere, then each arrives once, whole and in order', async () => {
    const { a, b, close } = await socketPair();
    cleanup = close;
    const got: unknown[] = [];
    const receiver = streamChannel(a);
    receiver.on('message', (m) => got.push(m));
    const sent = [{ t: 'x', seq: 1, ops: [['claim', id(1), 5, 'participante-1']] }, { seq: 2, text: 'ção "quoted"\\n' }, [3, true, null]];
    const bytes = Buffer.from(sent.map((m) => `${JSON.stringify(m)}\n`).join(''));
    // Cut inside a message and inside a multi-byte character, with pauses so the pieces arrive apart.
    for (const [from, to] of [[0, 7], [7, 40], [40, 60], [60, bytes.length]] as const) {
      b.write(bytes.subarray(from, to));
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual(sent);
  });

  it('when a worker claims over the stream, then the primary answers each batch, and a second claim of a proof is refused', async () => {
    const { a, b, close } = await socketPair();
    cleanup = close;
    const host = new HostArbiter(120_000);
    serveArbiter(host, streamChannel(a), 1);
    const client = new ArbiterClient(streamChannel(b), 1000, 0);
    const until = Date.now() + 60_000;
    const first = await Promise.all([client.claim(id(1), until, 'participante-1'), client.claim(id(2), until, 'participante-1'), client.claim(id(1), until, 'participante-2')]);
    expect(first).toEqual([true, true, false]);
    expect(await client.claim(id(2), until, 'participante-1')).toBe(false);
    expect(host.claimed).toBe(2);
  });

  it('when the primary\'s end is gone, then a claim fails with 503 arbiter_unavailable instead of hanging', async () => {
    const { a, b, close } = await socketPair();
    cleanup = close;
    const client = new ArbiterClient(streamChannel(b), 300, 0);
    a.destroy();
    await new Promise((r) => setTimeout(r, 20));
    await expect(client.claim(id(1), Date.now() + 60_000, 'participante-1')).rejects.toMatchObject({ status: 503, code: 'arbiter_unavailable' });
  });
});
