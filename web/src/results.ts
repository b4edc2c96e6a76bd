// Live results: Server-Sent Events first (EventSource reconnects by itself), polling when SSE keeps failing
// (a proxy that buffers or drops the stream, say), and a periodic attempt to go back to SSE.
import { getResults, isParedao, isPublicResults, type Paredao, type PublicResults } from './api.ts';

export type LiveMode = 'connecting' | 'live' | 'polling' | 'offline';

export interface LiveOptions {
  onResults: (r: PublicResults) => void;
  onMode?: (mode: LiveMode) => void;
  /** The stream also sends the current paredão as a named `paredao` event (on connect and on change). */
  onParedao?: (p: Paredao) => void;
  streamUrl?: string;
  /** Consecutive SSE errors without a message before falling back to polling. */
  maxStreamErrors?: number;
  pollMs?: number;
  /** While polling, how often to try the stream again. */
  retryStreamMs?: number;
}

export function subscribeResults(opts: LiveOptions): () => void {
  const streamUrl = opts.streamUrl ?? '/api/results/stream';
  const maxStreamErrors = opts.maxStreamErrors ?? 3;
  const pollMs = opts.pollMs ?? 2000;
  const retryStreamMs = opts.retryStreamMs ?? 60_000;

  let stopped = false;
  let source: EventSource | null = null;
  let streamErrors = 0;
  let pollTimer: number | undefined;
  let retryStreamTimer: number | undefined;
  let mode: LiveMode | null = null;
  let lastUpdatedAt = '';

  const setMode = (m: LiveMode) => {
    if (m === mode) return;
    mode = m;
    opts.onMode?.(m);
  };

  const deliver = (r: PublicResults) => {
    // Polling and a reopened stream can both deliver the same snapshot; skip exact repeats.
    if (r.updatedAt && r.updatedAt === lastUpdatedAt) return;
    lastUpdatedAt = r.updatedAt;
    opts.onResults(r);
  };

  const stopPolling = () => {
    window.clearTimeout(pollTimer);
    window.clearTimeout(retryStreamTimer);
    pollTimer = undefined;
    retryStreamTimer = undefined;
  };

  const poll = async () => {
    if (stopped || source) return;
    try {
      deliver(await getResults());
      setMode('polling');
    } catch {
      setMode('offline');
    }
    if (!stopped && !source) pollTimer = window.setTimeout(() => void poll(), pollMs);
  };

  const startPolling = () => {
    stopPolling();
    void poll();
    retryStreamTimer = window.setTimeout(() => {
      if (stopped) return;
      stopPolling();
      openStream();
    }, retryStreamMs);
  };

  const closeStream = () => {
    source?.close();
    source = null;
  };

  function openStream(): void {
    if (stopped) return;
    if (typeof EventSource === 'undefined') {
      startPolling();
      return;
    }
    streamErrors = 0;
    setMode('connecting');
    const es = new EventSource(streamUrl);
    source = es;
    es.onmessage = (ev: MessageEvent<string>) => {
      let data: unknown;
      try {
        data = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (!isPublicResults(data)) return;
      streamErrors = 0;
      setMode('live');
      deliver(data);
    };
    es.addEventListener('paredao', (ev: MessageEvent<string>) => {
      try {
        const p: unknown = JSON.parse(ev.data);
        if (isParedao(p)) opts.onParedao?.(p);
      } catch {
        // A malformed frame is skipped; the next one replaces it.
      }
    });
    es.onerror = () => {
      streamErrors += 1;
      // CLOSED means the browser gave up (an HTTP error or a non-event-stream answer): it will not reconnect.
      if (es.readyState === EventSource.CLOSED || streamErrors >= maxStreamErrors) {
        closeStream();
        startPolling();
      } else {
        setMode('connecting');
      }
    };
  }

  openStream();

  return () => {
    stopped = true;
    closeStream();
    stopPolling();
  };
}
