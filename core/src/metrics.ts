import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * How often prom-client samples the event-loop delay for its nodejs_eventloop_lag_* series (its default is
 * 10 ms). Each sample is a timer that wakes an idle process: 100 a second cost about 4 ms of CPU a second
 * per process here, more than the rest of an idle service; 10 a second cost about 1 ms. Nothing alerts on
 * these series; the api's admission control keeps its own finer sampling (api/src/platform/loop-delay.ts).
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

/** One registry per service, passed down to whoever records metrics (no global registry). */
export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  return registry;
}

/** Sub-millisecond to seconds: the API answers in well under 10 ms, where prom-client's defaults (5 ms … 10 s) see nothing. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
