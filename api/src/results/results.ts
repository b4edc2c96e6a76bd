import { buildResults, publicParedao, publicResults, type Paredao, type PublicResults } from '@paredao/contract';
import { type Store } from '@paredao/core';
import type { Response } from 'express';
import type { Logger } from 'pino';

/**
 * The results snapshot of the current paredão: one store read per refresh whatever the request rate,
 * pushed to every SSE client when it changes, so a results request never costs a store read. SSE clients also get an
 * `event: paredao` frame when the current paredão changes (opened, closed, a new one).
 *
 * The snapshot is the voters' view (publicResults): while a paredão that hides partials is open it
 * holds totals only, so neither this cache, the stream nor nginx's micro-cache of it ever has a
 * per-participant number to give away. The admin routes build the full results themselves.
 */
export class ResultsService {
  private snapshot: PublicResults | null = null;
  private json = 'null';
  private paredaoJson = 'null';
  private readonly clients = new Set<Response>();
  private heartbeat: NodeJS.Timeout | null = null;
  private storeOk = false;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    /** Streams this process holds at most (RESULTS_STREAM_MAX). */
    private readonly maxSubscribers = Infinity,
  ) {}

  get subscribers(): number {
    return this.clients.size;
  }

  get current(): PublicResults | null {
    return this.snapshot;
  }

  /** The snapshot as JSON text (serialised once per refresh, not per request). */
  get currentJson(): string {
    return this.json;
  }

  get storeUsable(): boolean {
    return this.storeOk;
  }

  start(): void {
    // Comments keep idle SSE connections open through proxies.
    this.heartbeat = setInterval(() => {
      for (const c of this.clients) c.write(': keepalive\n\n');
    }, 15_000);
  }

  async refresh(paredao: Paredao | null): Promise<void> {
    try {
      const next = paredao ? publicResults(paredao, buildResults(paredao, await this.store.tally(paredao.id), new Date())) : null;
      if (!this.storeOk) this.log.info('store readable');
      this.storeOk = true;
      // A close turns a totals-only view into the full one with the same total: that is a change too.
      const changed = next?.total !== this.snapshot?.total || next?.paredaoId !== this.snapshot?.paredaoId || next?.partialsHidden !== this.snapshot?.partialsHidden;
      this.snapshot = next;
      this.json = JSON.stringify(next);
      if (changed) this.broadcast(`data: ${this.json}\n\n`);
    } catch (err) {
      if (this.storeOk) this.log.error({ err }, 'store unreadable; serving the last results snapshot');
      this.storeOk = false;
    }
  }

  /** Tells every SSE client that the current paredão changed. */
  paredaoChanged(paredao: Paredao | null): void {
    this.paredaoJson = JSON.stringify(paredao && publicParedao(paredao));
    this.broadcast(`event: paredao\ndata: ${this.paredaoJson}\n\n`);
  }

  /** Starts an SSE stream on `res`; false (nothing written) when the cap is reached. */
  subscribe(res: Response): boolean {
    if (this.clients.size >= this.maxSubscribers) return false;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // nginx: do not buffer this response.
      'x-accel-buffering': 'no',
    });
    res.write(`retry: 3000\nevent: paredao\ndata: ${this.paredaoJson}\n\ndata: ${this.json}\n\n`);
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
    return true;
  }

  private broadcast(frame: string): void {
    for (const c of this.clients) c.write(frame);
  }

  stop(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    for (const c of this.clients) c.end();
    this.clients.clear();
  }
}
