import { collectDefaultMetrics, Registry } from 'prom-client';

/** One registry per service, passed down to whoever records metrics (no global registry). */
export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Sub-millisecond to seconds: the API answers in well under 10 ms, where prom-client's defaults (5 ms … 10 s) see nothing. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
