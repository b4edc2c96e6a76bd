// Shared by the results page and the panel: the "ao vivo" badge and polite, throttled announcements.
import type { LiveMode } from './results.ts';

const modeText: Record<LiveMode, string> = {
  connecting: 'Conectando…',
  live: 'Ao vivo',
  polling: 'Atualizando',
  offline: 'Sem conexão',
};

export function showMode(badge: HTMLElement, label: HTMLElement, mode: LiveMode): void {
  badge.dataset.mode = mode;
  label.textContent = modeText[mode];
}

/**
 * Screen readers hear the first snapshot at once, then at most one summary per `gapMs` (the newest),
 * however often the numbers change.
 */
export function throttledAnnouncer(region: HTMLElement, gapMs: number): (text: string) => void {
  let lastAt = 0;
  let lastText = '';
  let pending = '';
  let timer: number | undefined;
  const flush = () => {
    timer = undefined;
    lastAt = Date.now();
    if (pending === lastText) return;
    lastText = pending;
    region.textContent = pending;
  };
  return (text: string) => {
    pending = text;
    const wait = lastAt + gapMs - Date.now();
    if (wait <= 0) flush();
    else timer ??= window.setTimeout(flush, wait);
  };
}
