// A second writer of the SQLite store, in a thread of its own (store.test.ts, "applied concurrently"):
// better-sqlite3 is synchronous, so two calls in one thread never overlap; threads with their own
// connection to the same file do, as the consumer replicas of one machine would.
// Plain JavaScript on the built @paredao/core: a worker thread does not go through vitest's transform.
import { parentPort, workerData } from 'node:worker_threads';
// The SQLite store alone: importing all of @paredao/core (the MongoDB driver, amqplib) costs seconds per thread.
import { openSqliteStore } from '@paredao/core/store/sqlite';

const { path, batch } = workerData;
const store = openSqliteStore(path);
parentPort.once('message', async () => {
  parentPort.postMessage({ type: 'started' });
  try {
    const outcome = await store.applyBatch(batch, Date.now());
    parentPort.postMessage({ type: 'done', outcome });
  } catch (err) {
    parentPort.postMessage({ type: 'failed', message: String(err) });
  } finally {
    await store.close();
  }
});
parentPort.postMessage({ type: 'ready' });
