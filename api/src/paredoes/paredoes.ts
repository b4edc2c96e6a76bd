import { EventEmitter } from 'node:events';
import { type Paredao } from '@paredao/contract';
import { loadParedaoFile, type Store } from '@paredao/core';
import type { Logger } from 'pino';

/**
 * The current paredão as this process knows it: re-read from the store every tick, so an admin action
 * on any instance reaches every instance within a second. Also carries out scheduled openings and
 * closings (whichever instance sees the time pass first wins; the store makes the transition atomic).
 * Emits 'change' when the current paredão or its status changes.
 */
export class ParedaoService extends EventEmitter {
  private cur: Paredao | null = null;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
  ) {
    super();
  }

  get current(): Paredao | null {
    return this.cur;
  }

  /** On an empty store, the paredão of the config file becomes the first one (opened now if it says open). */
  async seed(file: string, now = new Date()): Promise<void> {
    if ((await this.store.listParedoes()).length > 0) return;
    const p = loadParedaoFile(file);
    const seeded: Paredao = { ...p, createdAt: p.createdAt ?? now.toISOString(), ...(p.status === 'open' && !p.openedAt ? { openedAt: now.toISOString() } : {}) };
    try {
      await this.store.insertParedao(seeded);
      this.log.info({ paredaoId: seeded.id, file }, 'store had no paredão: seeded from the config file');
    } catch (err) {
      // Another instance seeded it first.
      this.log.debug({ err }, 'paredão seed skipped');
    }
  }

  async refresh(now = new Date()): Promise<void> {
    await this.runSchedule(now);
    this.set(await this.store.currentParedao());
  }

  /** Updates this process's view right away (after an admin action here). */
  set(next: Paredao | null): void {
    const before = this.cur;
    this.cur = next;
    if (JSON.stringify(before) !== JSON.stringify(next)) {
      if (before?.id !== next?.id || before?.status !== next?.status) {
        this.log.info({ paredaoId: next?.id ?? null, status: next?.status ?? null, previous: before?.id ?? null }, 'current paredão changed');
      }
      this.emit('change', next);
    }
  }

  private async runSchedule(now: Date): Promise<void> {
    for (const p of await this.store.listParedoes()) {
      if (p.status === 'open' && p.closesAt && Date.parse(p.closesAt) <= now.getTime()) {
        const r = await this.store.closeParedao(p.id, new Date(p.closesAt));
        if (r.ok) this.log.info({ paredaoId: p.id, closedAt: p.closesAt }, 'paredão closed on schedule');
      } else if (p.status === 'draft' && p.opensAt && Date.parse(p.opensAt) <= now.getTime() && (!p.closesAt || Date.parse(p.closesAt) > now.getTime())) {
        const r = await this.store.openParedao(p.id, now);
        if (r.ok) this.log.info({ paredaoId: p.id }, 'paredão opened on schedule');
        else if (r.code === 'another_open') this.log.warn({ paredaoId: p.id }, 'scheduled opening postponed: another paredão is open');
      }
    }
  }
}
