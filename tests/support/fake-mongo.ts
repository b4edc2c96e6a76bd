import { createServer, type AddressInfo, type Socket } from 'node:net';
import { BSON } from 'mongodb';

/**
 * No MongoDB server can run here, so this stands in for one at the wire level: it answers every
 * `hello` with the given document and refuses everything else, recording what it was asked. Enough
 * for the driver to connect and for openMongoStore to make its check; anything past that fails.
 * The driver's first message on a connection is OP_QUERY (2004), answered with OP_REPLY (1); the
 * rest are OP_MSG (2013).
 */
export async function fakeMongo(hello: Record<string, unknown>) {
  const commands: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 16 && buf.length >= buf.readInt32LE(0)) {
        const msg = buf.subarray(0, buf.readInt32LE(0));
        buf = buf.subarray(msg.length);
        const requestId = msg.readInt32LE(4);
        const opCode = msg.readInt32LE(12);
        let doc: Record<string, unknown>;
        if (opCode === 2004) {
          const nameEnd = msg.indexOf(0, 20);
          doc = BSON.deserialize(msg.subarray(nameEnd + 9));
        } else if (opCode === 2013) {
          doc = BSON.deserialize(msg.subarray(21)); // header, flagBits, section kind 0
        } else {
          socket.destroy();
          return;
        }
        const name = Object.keys(doc)[0]!;
        commands.push(name);
        const answer = ['hello', 'ismaster', 'isMaster'].includes(name) ? { ...hello, ok: 1 } : name === 'endSessions' ? { ok: 1 } : { ok: 0, code: 59, errmsg: `fake server: ${name} not handled` };
        const body = Buffer.from(BSON.serialize(answer));
        const header = (length: number, op: number) => {
          const h = Buffer.alloc(16);
          h.writeInt32LE(length, 0);
          h.writeInt32LE(requestId + 1_000_000, 4);
          h.writeInt32LE(requestId, 8);
          h.writeInt32LE(op, 12);
          return h;
        };
        if (opCode === 2004) {
          const reply = Buffer.alloc(20); // responseFlags, cursorID (8), startingFrom, numberReturned
          reply.writeInt32LE(1, 16);
          socket.write(Buffer.concat([header(16 + 20 + body.length, 1), reply, body]));
        } else {
          socket.write(Buffer.concat([header(16 + 5 + body.length, 2013), Buffer.from([0, 0, 0, 0, 0]), body]));
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    commands,
    openSockets: () => sockets.size,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
