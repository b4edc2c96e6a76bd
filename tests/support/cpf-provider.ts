import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local CPF provider speaking the port of docs/CPF-VERIFIER.md, started by the tests in place of a
 * certified one: it answers `{"valid":false}` for the CPFs it was told to refuse and `{"valid":true}`
 * for the rest, or fails on purpose (`failing`: 500) so a test can see what the api does then. It
 * records every CPF it was asked about.
 */
export async function startCpfProvider(host = '127.0.0.1') {
  const refused = new Set<string>();
  const asked: string[] = [];
  const state = { failing: false };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      let cpf: unknown;
      try {
        cpf = (JSON.parse(body) as { cpf?: unknown }).cpf;
      } catch {
        cpf = undefined;
      }
      if (req.method !== 'POST' || typeof cpf !== 'string' || !/^\d{11}$/.test(cpf)) {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad request"}');
        return;
      }
      asked.push(cpf);
      if (state.failing) {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"provider failure"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ valid: !refused.has(cpf) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/v1/cpf`,
    asked,
    refuse: (cpf: string) => refused.add(cpf),
    set failing(on: boolean) {
      state.failing = on;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type CpfProvider = Awaited<ReturnType<typeof startCpfProvider>>;
