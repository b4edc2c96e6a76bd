/**
 * The compose smoke check: `./run.sh compose smoke` after `./run.sh compose up`, on the Docker host
 * (CI runs it too: .github/workflows/ci.yml). Through the proxy over HTTPS, a vote with a solved
 * proof is counted and stored in MongoDB; Grafana, Prometheus, Alertmanager and (profile logging)
 * Graylog answer with what the stack should have produced. One ✓/✗ line per check; exits 1 on any ✗.
 *
 * Settings come from the environment, which run.sh fills from .env: HTTPS_PORT, TLS_CERT_FILE,
 * GRAFANA_PORT/GRAFANA_ADMIN_USER/GRAFANA_ADMIN_PASSWORD, PROMETHEUS_PORT, ALERTMANAGER_PORT,
 * GRAYLOG_HTTP_EXTERNAL_URI/GRAYLOG_ROOT_PASSWORD, COMPOSE_PROFILES. SMOKE_URL replaces
 * https://localhost:HTTPS_PORT (with a real certificate, use the name it was issued for).
 *
 * Options: --no-broker-stop leaves RabbitMQ alone; by default it is stopped for a few seconds so the
 * api logs an error (a vote answered 503) that Graylog must show, then started again.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Agent, fetch } from 'undici';
import { solve } from '@paredao/testkit/antibot';
// The judgements, apart so that tests/config/compose-smoke.test.ts checks them without a Docker host.
import * as smoke from './compose-smoke-checks.js';

const root = resolve(import.meta.dirname, '..');
const env = process.env;
const noBrokerStop = process.argv.includes('--no-broker-stop');
const execFileAsync = promisify(execFile);

const site = (env.SMOKE_URL ?? `https://localhost:${env.HTTPS_PORT || '8443'}`).replace(/\/+$/, '');
// The self-signed pair run.sh makes is trusted for this run only; a real certificate needs nothing.
const selfSigned = join(root, 'deploy/tls/cert.pem');
if (!env.TLS_CERT_FILE && !existsSync(selfSigned)) {
  console.error(`✗ no ${selfSigned} and no TLS_CERT_FILE: run ./run.sh compose up first`);
  process.exit(1);
}
const tls = env.TLS_CERT_FILE ? new Agent() : new Agent({ connect: { ca: readFileSync(selfSigned) } });
const grafana = `http://127.0.0.1:${env.GRAFANA_PORT || '3000'}`;
const grafanaAuth = basic(env.GRAFANA_ADMIN_USER || 'admin', env.GRAFANA_ADMIN_PASSWORD ?? '');
const prometheus = `http://127.0.0.1:${env.PROMETHEUS_PORT || '9090'}`;
const alertmanager = `http://127.0.0.1:${env.ALERTMANAGER_PORT || '9093'}`;
const graylog = (env.GRAYLOG_HTTP_EXTERNAL_URI || 'http://127.0.0.1:9000/').replace(/\/+$/, '');
const graylogAuth = basic('admin', env.GRAYLOG_ROOT_PASSWORD ?? '');
const logging = `,${env.COMPOSE_PROFILES ?? ''},`.includes(',logging,');

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** `docker compose …` in the project folder; its stdout. */
async function run(args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('docker', ['compose', ...args], { cwd: root, timeout: 180_000, encoding: 'utf8' });
  return stdout;
}

async function http(url: string, init: { method?: string; headers?: Record<string, string>; body?: string; tls?: boolean } = {}) {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { accept: 'application/json', ...init.headers },
    body: init.body,
    dispatcher: init.tls ? tls : undefined,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: the text is judged as it is
  }
  return { status: res.status, json };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Asks again until the verdict passes or time runs out; the last verdict is the answer. */
async function until(seconds: number, attempt: () => Promise<smoke.Verdict>): Promise<smoke.Verdict> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    let v: smoke.Verdict;
    try {
      v = await attempt();
    } catch (err) {
      v = { ok: false, detail: reason(err) };
    }
    if (v.ok || Date.now() > deadline) return v;
    await sleep(3000);
  }
}

const verdicts: smoke.Verdict[] = [];
let skipped = 0;
/** An error's message with its cause (fetch says only "fetch failed"; the cause says ECONNREFUSED). */
function reason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message;
}

async function check(name: string, fn: () => Promise<smoke.Verdict>): Promise<smoke.Verdict> {
  let v: smoke.Verdict;
  try {
    v = await fn();
  } catch (err) {
    v = { ok: false, detail: reason(err) };
  }
  console.log(smoke.line(name, v));
  verdicts.push(v);
  return v;
}
function skip(name: string, why: string) {
  console.log(`– ${name}: skipped, ${why}`);
  skipped++;
}

/** A vote with a solved proof, as a browser sends it; returns the answer's status and body. */
async function vote(candidateId: string) {
  const challenge = await http(`${site}/api/challenge`, { tls: true });
  if (challenge.status !== 200) throw new Error(`GET /api/challenge → ${challenge.status}`);
  const altcha = await solve(challenge.json as Parameters<typeof solve>[0]);
  return http(`${site}/api/votes`, { method: 'POST', tls: true, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ candidateId, altcha }) });
}

async function main() {
  console.log(`compose smoke check: ${site}${logging ? '' : ' (profile logging off: Graylog not checked)'}`);

  // --- The vote path: proxy → api → RabbitMQ → consumer → MongoDB → results. --------------------
  let candidates: { id: string }[] = [];
  let voteId = '';
  await check('a vote through the proxy (HTTPS) is counted at /api/results', async () => {
    const paredao = await http(`${site}/api/paredao`, { tls: true });
    candidates = (paredao.json as { candidates?: { id: string }[] } | null)?.candidates ?? [];
    if (paredao.status !== 200 || candidates.length === 0) return { ok: false, detail: `GET /api/paredao → ${paredao.status}, no candidates` };
    const before = await http(`${site}/api/results`, { tls: true });
    if (before.status !== 200) return { ok: false, detail: `GET /api/results → ${before.status}` };
    const accepted = await vote(candidates[0]!.id);
    if (accepted.status !== 202) return { ok: false, detail: `POST /api/votes → ${accepted.status} ${JSON.stringify(accepted.json).slice(0, 200)}` };
    voteId = (accepted.json as { voteId: string }).voteId;
    return until(60, async () => smoke.judgeResultsMoved(before.json, (await http(`${site}/api/results`, { tls: true })).json));
  });
  await check('the vote is stored in MongoDB', async () => {
    if (!voteId) return { ok: false, detail: 'no vote was accepted' };
    // Root's password comes from the container's own environment, never from this command line.
    const script = `db.getSiblingDB('admin').auth(process.env.MONGO_INITDB_ROOT_USERNAME, process.env.MONGO_INITDB_ROOT_PASSWORD); print(db.getSiblingDB('paredao').applied_votes.countDocuments({ _id: ${JSON.stringify(voteId)} }))`;
    return smoke.judgeMongoCount(await run(['exec', '-T', 'mongo', 'mongosh', '--quiet', '--norc', '--eval', script]), voteId);
  });

  // --- Grafana: healthy, the four provisioned dashboards, one panel's query through its proxy. ----
  const dashboardsDir = join(root, 'monitoring/grafana/dashboards');
  const files = readdirSync(dashboardsDir).filter((f) => f.endsWith('.json')).sort();
  const models = files.map((f) => JSON.parse(readFileSync(join(dashboardsDir, f), 'utf8')) as { uid: string });
  await check('Grafana is healthy', async () => smoke.judgeGrafanaHealth((await http(`${grafana}/api/health`)).json));
  for (const m of models) {
    await check(`Grafana has dashboard ${m.uid}`, async () => smoke.judgeDashboard(m.uid, (await http(`${grafana}/api/dashboards/uid/${encodeURIComponent(m.uid)}`, { headers: { authorization: grafanaAuth } })).json));
  }
  await check("a panel's query answers through Grafana's datasource proxy (consumer store up)", async () => {
    const pipeline = models.find((m) => m.uid === 'paredao-pipeline');
    const expr = smoke.panelExpression(pipeline, 'paredao_store_up');
    if (!expr) return { ok: false, detail: 'no panel of paredao-pipeline queries paredao_store_up' };
    const url = `${grafana}/api/datasources/proxy/uid/prometheus/api/v1/query?query=${encodeURIComponent(smoke.instantExpression(expr))}`;
    return until(90, async () => smoke.judgeInstantQuery((await http(url, { headers: { authorization: grafanaAuth } })).json, 1));
  });

  // --- Prometheus and Alertmanager. ------------------------------------------------------------------
  await check('Prometheus: every target up', async () => until(120, async () => smoke.judgeTargets((await http(`${prometheus}/api/v1/targets?state=active`)).json)));
  const runId = `smoke-${randomUUID().slice(0, 8)}`;
  await check('Alertmanager receives a test alert', async () => {
    const posted = await http(`${alertmanager}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([smoke.smokeAlert(runId, new Date())]) });
    if (posted.status !== 200) return { ok: false, detail: `POST /api/v2/alerts → ${posted.status} ${JSON.stringify(posted.json).slice(0, 200)}` };
    const filter = encodeURIComponent(`smoke_run="${runId}"`);
    const verdict = await until(30, async () => smoke.judgeAlertReadBack((await http(`${alertmanager}/api/v2/alerts?filter=${filter}`)).json, runId));
    // Resolved at once, so a real receiver sees at most a short-lived test alert.
    await http(`${alertmanager}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([smoke.smokeAlert(runId, new Date(Date.now() - 60_000), 1)]) });
    return verdict;
  });

  // --- Graylog: the api's events by level, a warning and an error among them. --------------------
  if (!logging) {
    skip("Graylog has the api's events by level", 'COMPOSE_PROFILES does not include logging');
  } else {
    const need = ['6', '4'];
    await check('a malformed vote is refused with 400 (logged as a warning)', async () => {
      const r = await http(`${site}/api/votes`, { method: 'POST', tls: true, headers: { 'content-type': 'application/json' }, body: '{"candidateId":' });
      return r.status === 400 ? { ok: true, detail: '400 invalid_body' } : { ok: false, detail: `answered ${r.status}` };
    });
    if (noBrokerStop) {
      skip('a vote while RabbitMQ is stopped is refused with 503 (logged as an error)', '--no-broker-stop');
    } else {
      need.push('3');
      console.log('  stopping rabbitmq for a few seconds: votes get 503 meanwhile');
      await run(['stop', 'rabbitmq']);
      try {
        await check('a vote while RabbitMQ is stopped is refused with 503 (logged as an error)', async () => {
          const r = await vote(candidates[0]?.id ?? 'participante-1');
          return r.status === 503 ? { ok: true, detail: '503' } : { ok: false, detail: `answered ${r.status}` };
        });
      } finally {
        await run(['up', '--detach', '--wait', 'rabbitmq']);
      }
      await check('votes are accepted again once RabbitMQ is back', async () =>
        until(90, async () => {
          const r = await vote(candidates[0]?.id ?? 'participante-1');
          return r.status === 202 ? { ok: true, detail: '202' } : { ok: false, detail: `still ${r.status}` };
        }),
      );
    }
    await check("Graylog's search API has the api's events by level", async () =>
      until(180, async () => {
        const r = await http(`${graylog}/api/search/aggregate`, {
          method: 'POST',
          headers: { authorization: graylogAuth, 'x-requested-by': 'paredao-smoke', 'content-type': 'application/json' },
          body: JSON.stringify({ query: 'service:api', timerange: { type: 'relative', range: 1800 }, group_by: [{ field: 'level' }], metrics: [{ function: 'count' }] }),
        });
        return smoke.judgeLevels(r.json, need);
      }),
    );
  }

  const s = smoke.summary(verdicts, skipped);
  console.log(s.text);
  process.exitCode = s.exitCode;
}

main().catch((err: unknown) => {
  console.error(`✗ compose smoke check stopped: ${reason(err)}`);
  process.exitCode = 1;
});
