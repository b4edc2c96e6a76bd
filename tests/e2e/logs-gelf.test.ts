// The running services (not just the logger) ship their logs as GELF over TCP to a real listener:
// the api's warnings for bad votes, its request ids, and the consumer's records of the same vote.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { solvedPayload } from '@paredao/testkit/antibot';
import { waitFor } from '@paredao/testkit/ports';
import { startStack, type Stack } from '@paredao/testkit/stack';

type Gelf = Record<string, string | number>;

describe('services ship GELF to Graylog when GELF_URL is set', () => {
  const received: Gelf[] = [];
  let server: net.Server;
  let stack: Stack;

  beforeAll(async () => {
    server = net.createServer((socket) => {
      let buf = Buffer.alloc(0);
      socket.on('data', (chunk) => {
        buf = Buffer.concat([buf, chunk]);
        for (let i = buf.indexOf(0); i >= 0; i = buf.indexOf(0)) {
          received.push(JSON.parse(buf.subarray(0, i).toString('utf8')) as Gelf);
          buf = buf.subarray(i + 1);
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as net.AddressInfo;
    stack = await startStack({ env: { GELF_URL: `tcp://127.0.0.1:${port}`, LOG_LEVEL: 'trace' } });
  });
  afterAll(async () => {
    await stack?.stop();
    server?.close();
  });

  it('when a vote is cast and a bad one refused, then both services log them as GELF with the same request id', async () => {
    const reqId = `gelf-test-${Date.now()}`;
    const ok = await fetch(`${stack.url}/api/votes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': reqId },
      body: JSON.stringify({ candidateId: 'participante-1', altcha: await solvedPayload(stack.url) }),
    });
    expect(ok.status).toBe(202);
    const bad = await fetch(`${stack.url}/api/votes`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer top-secret-token' }, body: '{"candidateId":' });
    expect(bad.status).toBe(400);

    const consumerRecord = await waitFor('consumer record of the vote', async () => received.find((m) => m._service === 'consumer' && m._reqId === reqId));
    const apiRecord = received.find((m) => m._service === 'api' && m._reqId === reqId);
    expect(apiRecord).toBeDefined();
    expect(consumerRecord._voteId).toMatch(/^[0-9a-f]{32}$/);
    const warning = await waitFor('api warning', async () => received.find((m) => m._service === 'api' && m._code === 'invalid_body'));
    expect(warning.level).toBe(4); // syslog warning
    expect(warning.version).toBe('1.1');
    expect(typeof warning.timestamp).toBe('number');
    const started = received.find((m) => m._service === 'api' && m.short_message === 'api started');
    expect(started?.level).toBe(6);
    expect(String(started?._amqpUrl)).toContain('***');
    expect(JSON.stringify(received)).not.toContain('top-secret-token');
    expect(JSON.stringify(received)).not.toContain(stack.env.ANTIBOT_SECRET);
  });
});
