/**
 * The judgements of the compose smoke check (scripts/compose-smoke.ts), apart from the calls that
 * fetch what they judge: each takes an API's answer as parsed JSON (or a command's output) and says
 * whether it shows the stack working. Pure, so they are tested here on recorded answers
 * (tests/config/compose-smoke.test.ts) while the calls themselves need a Docker host.
 */

export interface Verdict {
  ok: boolean;
  detail: string;
}

const pass = (detail: string): Verdict => ({ ok: true, detail });
const fail = (detail: string): Verdict => ({ ok: false, detail });

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One line per check: ✓ or ✗, the check, and what was seen. */
export function line(name: string, v: Verdict): string {
  return `${v.ok ? '✓' : '✗'} ${name}: ${v.detail}`;
}

/** GET /api/results before and after a vote: the total moved by at least one. */
export function judgeResultsMoved(before: unknown, after: unknown): Verdict {
  const total = (r: unknown) => (isObject(r) && typeof r.total === 'number' ? r.total : null);
  const a = total(before);
  const b = total(after);
  if (a === null || b === null) return fail(`GET /api/results has no numeric total (${JSON.stringify(after).slice(0, 200)})`);
  return b > a ? pass(`total ${a} → ${b}`) : fail(`total still ${b} (was ${a})`);
}

/** mongosh printed how many applied_votes documents carry the vote's id. */
export function judgeMongoCount(stdout: string, voteId: string): Verdict {
  const n = stdout.trim().split('\n').at(-1)?.trim();
  if (n === '1') return pass(`applied_votes has vote ${voteId}`);
  return fail(`applied_votes count for ${voteId} is ${JSON.stringify(n ?? '')}, expected 1`);
}

/** GET /api/health on Grafana: its database answers. */
export function judgeGrafanaHealth(body: unknown): Verdict {
  if (isObject(body) && body.database === 'ok') return pass(`database ok, Grafana ${String(body.version ?? '?')}`);
  return fail(`GET /api/health answered ${JSON.stringify(body).slice(0, 200)}`);
}

/** GET /api/dashboards/uid/{uid}: the provisioned dashboard, with its panels. */
export function judgeDashboard(uid: string, body: unknown): Verdict {
  const d = isObject(body) && isObject(body.dashboard) ? body.dashboard : null;
  if (!d) return fail(`${uid}: not found (${JSON.stringify(body).slice(0, 200)})`);
  if (d.uid !== uid) return fail(`${uid}: Grafana answered with uid ${String(d.uid)}`);
  const panels = Array.isArray(d.panels) ? d.panels.length : 0;
  return panels > 0 ? pass(`${uid} "${String(d.title)}", ${panels} panels`) : fail(`${uid} has no panels`);
}

/** The PromQL of the first panel target that mentions `metric`, from a dashboard file. */
export function panelExpression(dashboard: unknown, metric: string): string | undefined {
  const panels = isObject(dashboard) && Array.isArray(dashboard.panels) ? dashboard.panels : [];
  for (const p of panels) {
    const targets = isObject(p) && Array.isArray(p.targets) ? p.targets : [];
    for (const t of targets) if (isObject(t) && typeof t.expr === 'string' && t.expr.includes(metric)) return t.expr;
  }
  return undefined;
}

/**
 * Grafana fills in its own variables before a panel's query reaches Prometheus; through the
 * datasource proxy nobody does, so they get the values a 15-minute dashboard would give them.
 */
export function instantExpression(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$__interval', '15s').replaceAll('$__range', '15m');
}

/**
 * A Prometheus instant query answered (here through Grafana's datasource proxy): success, at least
 * one series, and every value equal to `expected` when given.
 */
export function judgeInstantQuery(body: unknown, expected?: number): Verdict {
  if (!isObject(body) || body.status !== 'success' || !isObject(body.data)) return fail(`query failed: ${JSON.stringify(body).slice(0, 300)}`);
  const result = Array.isArray(body.data.result) ? body.data.result : [];
  if (result.length === 0) return fail('the query answered no series');
  const values = result.map((s) => (isObject(s) && Array.isArray(s.value) ? Number(s.value[1]) : NaN));
  if (expected !== undefined && values.some((v) => v !== expected)) return fail(`values ${values.join(', ')}, expected ${expected}`);
  return pass(`${result.length} series, values ${values.join(', ')}`);
}

/** GET /api/v1/targets on Prometheus: every active target up. */
export function judgeTargets(body: unknown): Verdict {
  const data = isObject(body) && isObject(body.data) ? body.data : null;
  const active = data && Array.isArray(data.activeTargets) ? data.activeTargets.filter(isObject) : [];
  if (active.length === 0) return fail('no active targets');
  const name = (t: Json) => `${String(isObject(t.labels) ? t.labels.job : '?')}@${String(isObject(t.labels) ? t.labels.instance : '?')}`;
  const down = active.filter((t) => t.health !== 'up');
  if (down.length > 0) return fail(`${down.length} of ${active.length} not up: ${down.map((t) => `${name(t)} (${String(t.health)}${t.lastError ? `: ${String(t.lastError)}` : ''})`).join(', ')}`);
  return pass(`${active.length} targets up (${[...new Set(active.map((t) => String(isObject(t.labels) ? t.labels.job : '?')))].sort().join(', ')})`);
}

/** The labels the smoke check's test alert carries; `run` tells this run's alert from others. */
export function smokeAlert(run: string, now: Date, minutes = 5) {
  return {
    labels: { alertname: 'ParedaoSmokeCheck', severity: 'info', smoke_run: run },
    annotations: { summary: 'Test alert sent by ./run.sh compose smoke; it resolves itself, nothing to do.' },
    startsAt: now.toISOString(),
    endsAt: new Date(now.getTime() + minutes * 60_000).toISOString(),
  };
}

/** GET /api/v2/alerts on Alertmanager: this run's test alert is there and active. */
export function judgeAlertReadBack(body: unknown, run: string): Verdict {
  const alerts = Array.isArray(body) ? body.filter(isObject) : [];
  const mine = alerts.filter((a) => isObject(a.labels) && a.labels.smoke_run === run);
  if (mine.length === 0) return fail(`test alert ${run} not among the ${alerts.length} alerts Alertmanager holds`);
  const state = isObject(mine[0]!.status) ? String(mine[0]!.status.state) : '?';
  return state === 'active' ? pass(`test alert ${run} received, state active`) : fail(`test alert ${run} is ${state}, expected active`);
}

/** Syslog severities as Graylog stores GELF `level` (pino → GELF in core/src/log/gelf.ts). */
export const LEVEL_NAMES: Record<string, string> = { '2': 'fatal', '3': 'error', '4': 'warn', '6': 'info', '7': 'debug' };

/**
 * Counts per level from Graylog's scripting API (POST /api/search/aggregate, grouped by `level`,
 * metric count): `schema` names the columns, `datarows` holds one row per level.
 */
export function levelCounts(body: unknown): Map<string, number> | null {
  if (!isObject(body) || !Array.isArray(body.schema) || !Array.isArray(body.datarows)) return null;
  const schema = body.schema.filter(isObject);
  const kind = (c: Json) => String(c.column_type ?? '').toLowerCase();
  const levelCol = schema.findIndex((c) => kind(c) === 'grouping' && c.field === 'level');
  const countCol = schema.findIndex((c) => kind(c) === 'metric' && c.function === 'count');
  if (levelCol < 0 || countCol < 0) return null;
  const counts = new Map<string, number>();
  for (const row of body.datarows) {
    if (!Array.isArray(row)) continue;
    counts.set(String(row[levelCol]), Number(row[countCol]));
  }
  return counts;
}

/** The api's events reached Graylog at every level in `need` (e.g. warn and error). */
export function judgeLevels(body: unknown, need: readonly string[]): Verdict {
  const counts = levelCounts(body);
  if (!counts) return fail(`not an aggregation by level: ${JSON.stringify(body).slice(0, 300)}`);
  const seen = [...counts].map(([l, n]) => `${LEVEL_NAMES[l] ?? l}=${n}`).join(', ') || 'none';
  const missing = need.filter((l) => !((counts.get(l) ?? 0) > 0));
  if (missing.length > 0) return fail(`no api events at ${missing.map((l) => LEVEL_NAMES[l] ?? l).join(', ')} yet (seen: ${seen})`);
  return pass(`api events by level: ${seen}`);
}

/** The closing line: counts the runner can read, and the exit status. */
export function summary(verdicts: readonly Verdict[], skipped: number): { text: string; exitCode: number } {
  const passed = verdicts.filter((v) => v.ok).length;
  const failed = verdicts.length - passed;
  return { text: `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`, exitCode: failed > 0 || verdicts.length === 0 ? 1 : 0 };
}
