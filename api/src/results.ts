import { buildResults, type Paredao, type Results, type Store } from '@paredao/core';
import type { Response } from 'express';
import type { Logger } from 'pino';

/**
 * The results snapshot: one store read per refresh interval whatever the request rate, pushed to every
 * SSE client when it changes (SPEC, "Results under load").
 */
export class ResultsService {
  private snapshot: Results;
  private json: string;
  private readonly clients = new Set<Response>();
  private timer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private storeOk = false;

  constructor(
    private readonly store: Store,
    private readonly paredao: Paredao,
    private readonly refreshMs: number,
    private readonly log: Logger,
    /** Called after every refresh (the replay guard syncs on the same beat). */
    private readonly onTick: () => Promise<void> = async () => {},
  ) {
    this.snapshot = buildResults(paredao, { byCandidate: {}, hourly: [] }, new Date());
    this.json = JSON.stringify(this.snapshot);
  }

  get current(): Results {
    return this.snapshot;
  }

  get currentJson(): string {
    return this.json;
  }

  get storeUsable(): boolean {
    return this.storeOk;
  }

  async start(): Promise<void> {
    await this.refresh();
    const tick = async () => {
      await this.refresh();
      await this.onTick();
      if (this.timer) this.timer = setTimeout(tick, this.refreshMs);
    };
    this.timer = setTimeout(tick, this.refreshMs);
    // Comments keep idle SSE connections open through proxies.
    this.heartbeat = setInterval(() => {
      for (const c of this.clients) c.write(': keepalive\n\n');
    }, 15_000);
  }

  async refresh(): Promise<void> {
    try {
      const tally = await this.store.tally(this.paredao.id);
      const next = buildResults(this.paredao, tally, new Date());
      if (!this.storeOk) this.log.info('store readable');
      this.storeOk = true;
      const changed = next.total !== this.snapshot.total;
      this.snapshot = next;
      this.json = JSON.stringify(next);
      if (changed) this.broadcast();
    } catch (err) {
      if (this.storeOk) this.log.error({ err }, 'store unreadable; serving the last results snapshot');
      this.storeOk = false;
    }
  }

  subscribe(res: Response): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // nginx: do not buffer this response.
      'x-accel-buffering': 'no',
    });
    res.write(`retry: 3000\ndata: ${this.json}\n\n`);
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
  }

  private broadcast(): void {
    const frame = `data: ${this.json}\n\n`;
    for (const c of this.clients) c.write(frame);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const c of this.clients) c.end();
    this.clients.clear();
  }
}
