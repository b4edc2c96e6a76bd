// The four Grafana dashboards, as code. `npx tsx monitoring/grafana/generate.ts` writes them to
// dashboards/*.json, which Grafana provisions from files; tests/config/monitoring.test.ts fails when
// the committed JSON differs from what this file builds, and tests/e2e/dashboards-live.test.ts runs
// every expression against a real Prometheus scraping the real services.
//
// Metric and job names are the contract in docs/ARCHITECTURE.md.
import * as common from '@grafana/grafana-foundation-sdk/common';
import {
  DashboardBuilder,
  DashboardCursorSync,
  MappingType,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  type Dashboard,
} from '@grafana/grafana-foundation-sdk/dashboard';
import * as heatmap from '@grafana/grafana-foundation-sdk/heatmap';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

/** The provisioned datasource's fixed uid (provisioning/datasources/prometheus.yaml). */
export const DATASOURCE = { type: 'prometheus', uid: 'prometheus' } as const;

/**
 * The SDK emits the schemaVersion of the newest Grafana it knows (42). Pinning 41 keeps the files
 * loadable by Grafana 11.x as well as the 12.x we target; newer Grafanas migrate forward on load.
 */
export const SCHEMA_VERSION = 41;

/** The p99 latency objective and the 5xx ratio objective, shared with rules/alerts.yml. */
export const LATENCY_P99_OBJECTIVE_SECONDS = 0.25;
export const ERROR_RATIO_OBJECTIVE = 0.01;

/**
 * Objectives and totals are about voters' traffic: Prometheus scrapes and health checks hit the api
 * every few seconds (and /readyz answers 503 while the broker is down, which BrokerDisconnected
 * already covers). Same selectors as rules/recording.yml.
 */
const VOTER_TRAFFIC = 'route!~"/metrics|/healthz|/readyz"';
/** The SSE stream keeps its request open for minutes and would dominate every latency quantile. */
const NOT_STREAM = 'route!~"/metrics|/healthz|/readyz|.*/stream"';

type Query = { expr: string; legend: string; format?: 'heatmap' };

function target(q: Query, refId: string): prometheus.DataqueryBuilder {
  const b = new prometheus.DataqueryBuilder()
    .datasource(DATASOURCE)
    .refId(refId)
    .expr(q.expr)
    .legendFormat(q.legend)
    .range();
  if (q.format === 'heatmap') b.format(prometheus.PromQueryFormat.Heatmap);
  return b;
}

function withTargets<T extends { withTarget(t: prometheus.DataqueryBuilder): T }>(panel: T, queries: Query[]): T {
  queries.forEach((q, i) => panel.withTarget(target(q, String.fromCharCode(65 + i))));
  return panel;
}

function thresholds(steps: { value: number | null; color: string }[]): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps);
}

interface PanelOpts {
  title: string;
  description: string;
  unit: string;
  queries: Query[];
  w?: number;
  h?: number;
}

function lines(o: PanelOpts & { objective?: number; stacked?: boolean }): timeseries.PanelBuilder {
  const p = new timeseries.PanelBuilder()
    .title(o.title)
    .description(o.description)
    .datasource(DATASOURCE)
    .unit(o.unit)
    .span(o.w ?? 12)
    .height(o.h ?? 8)
    .min(0)
    .fillOpacity(10)
    .legend(new common.VizLegendOptionsBuilder().showLegend(true).displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom))
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
  if (o.stacked) p.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  if (o.objective !== undefined) {
    // Draws the objective as a dashed line, so "are we inside it" is readable at a glance.
    p.thresholds(thresholds([{ value: null, color: 'green' }, { value: o.objective, color: 'red' }])).thresholdsStyle(
      new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed),
    );
  }
  return withTargets(p, o.queries);
}

function single(o: PanelOpts & { steps?: { value: number | null; color: string }[]; mappings?: Record<string, string> }): stat.PanelBuilder {
  const p = new stat.PanelBuilder()
    .title(o.title)
    .description(o.description)
    .datasource(DATASOURCE)
    .unit(o.unit)
    .span(o.w ?? 6)
    .height(o.h ?? 4)
    .graphMode(common.BigValueGraphMode.Area)
    .colorMode(common.BigValueColorMode.Value)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .thresholds(thresholds(o.steps ?? [{ value: null, color: 'blue' }]));
  if (o.mappings) {
    p.mappings([
      {
        type: MappingType.ValueToText,
        options: Object.fromEntries(
          Object.entries(o.mappings).map(([value, text], index) => [value, { text, index, color: value === '0' ? 'red' : 'green' }]),
        ),
      },
    ]);
  }
  return withTargets(p, o.queries);
}

/** A 0/1 state (down/up) as a stat coloured red or green all over, the state in words. */
function upDown(o: Omit<PanelOpts, 'unit'> & { down: string; up: string }): stat.PanelBuilder {
  const steps = [
    { value: null, color: 'red' },
    { value: 1, color: 'green' },
  ];
  return single({ ...o, unit: 'none', steps, mappings: { '0': o.down, '1': o.up } }).colorMode(common.BigValueColorMode.Background);
}

function quantiles(metric: string, by: string, selector: string, qs: number[], legendPrefix = ''): Query[] {
  const group = by ? `${by}, le` : 'le';
  const legendBy = by ? ` {{${by}}}` : '';
  return qs.map((q) => ({
    expr: `histogram_quantile(${q}, sum by (${group}) (rate(${metric}_bucket{${selector}}[$__rate_interval])))`,
    legend: `${legendPrefix}p${Math.round(q * 100)}${legendBy}`,
  }));
}

function dashboard(uid: string, title: string, description: string): DashboardBuilder {
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['paredao'])
    .refresh('5s')
    .time({ from: 'now-15m', to: 'now' })
    .timezone('browser')
    .tooltip(DashboardCursorSync.Crosshair)
    .readonly();
}

function executions(): DashboardBuilder {
  return dashboard('paredao-executions', 'Paredão · Executions', 'How many requests the api serves, and how many votes it accepts.')
    .withPanel(
      single({
        title: 'Requests in the time range',
        description: 'Every api request answered, any status; scrapes and health checks left out.',
        unit: 'short',
        queries: [{ expr: `sum(increase(http_requests_total{job="api",${VOTER_TRAFFIC}}[$__range]))`, legend: 'requests' }],
      }),
    )
    .withPanel(
      single({
        title: 'Requests per second',
        description: 'Current api throughput over all replicas; scrapes and health checks left out.',
        unit: 'reqps',
        queries: [{ expr: `sum(rate(http_requests_total{job="api",${VOTER_TRAFFIC}}[$__rate_interval]))`, legend: 'requests/s' }],
      }),
    )
    .withPanel(
      single({
        title: 'Votes accepted in the time range',
        description: 'Votes answered 202: confirmed by the broker, so they will be counted.',
        unit: 'short',
        queries: [{ expr: 'sum(increase(paredao_votes_accepted_total{job="api"}[$__range]))', legend: 'votes' }],
      }),
    )
    .withPanel(
      single({
        title: 'Votes accepted per second',
        description: 'Current accepted-vote rate; the prime-time plan is 1000/s.',
        unit: 'reqps',
        queries: [{ expr: 'sum(rate(paredao_votes_accepted_total{job="api"}[$__rate_interval]))', legend: 'votes/s' }],
      }),
    )
    .withPanel(
      lines({
        title: 'Requests per second by route and status',
        description: 'Express route pattern and HTTP status; `unmatched` is every 404.',
        unit: 'reqps',
        w: 24,
        queries: [
          {
            expr: 'sum by (route, status_code) (rate(http_requests_total{job="api"}[$__rate_interval]))',
            legend: '{{route}} {{status_code}}',
          },
        ],
      }),
    )
    .withPanel(
      lines({
        title: 'Votes accepted per second by candidate',
        description: 'Accepted votes split by the participant they were cast for.',
        unit: 'reqps',
        stacked: true,
        queries: [
          { expr: 'sum by (candidate) (rate(paredao_votes_accepted_total{job="api"}[$__rate_interval]))', legend: '{{candidate}}' },
        ],
      }),
    )
    .withPanel(
      lines({
        title: 'Requests per second by api instance',
        description: 'Load spread over the api replicas (compose) or the single local process.',
        unit: 'reqps',
        queries: [{ expr: 'sum by (instance) (rate(http_requests_total{job="api"}[$__rate_interval]))', legend: '{{instance}}' }],
      }),
    );
}

function latency(): DashboardBuilder {
  const http = 'http_request_duration_seconds';
  return dashboard('paredao-latency', 'Paredão · Latency', 'How long the api takes to answer, and where the time goes.')
    .withPanel(
      lines({
        title: 'p99 latency against the objective',
        description: `99th percentile over voters' routes (no SSE stream, scrapes or health checks); the dashed line is the ${LATENCY_P99_OBJECTIVE_SECONDS * 1000} ms objective (alert ApiLatencyP99High).`,
        unit: 's',
        w: 24,
        objective: LATENCY_P99_OBJECTIVE_SECONDS,
        queries: quantiles(http, '', `job="api",${NOT_STREAM}`, [0.99]),
      }),
    )
    .withPanel(
      lines({
        title: 'Latency by route: p50, p95, p99',
        description: 'Quantiles estimated from the histogram buckets, per Express route.',
        unit: 's',
        w: 24,
        queries: quantiles(http, 'route', `job="api",${NOT_STREAM}`, [0.5, 0.95, 0.99]),
      }),
    )
    .withPanel(
      withTargets(
        new heatmap.PanelBuilder()
          .title('Request duration distribution')
          .description('Requests per histogram bucket over time (voters’ routes, SSE stream excluded); bands above 100 ms deserve a look.')
          .datasource(DATASOURCE)
          .span(12)
          .height(8)
          .calculate(false)
          .yAxis(new heatmap.YAxisConfigBuilder().unit('s'))
          .color(new heatmap.HeatmapColorOptionsBuilder().mode(heatmap.HeatmapColorMode.Scheme).scheme('Oranges').exponent(0.5).steps(64))
          .rowsFrame(new heatmap.RowsHeatmapOptionsBuilder().layout(common.HeatmapCellLayout.Le)),
        [
          {
            expr: `sum by (le) (increase(${http}_bucket{job="api",${NOT_STREAM}}[$__rate_interval]))`,
            legend: '{{le}}',
            format: 'heatmap',
          },
        ],
      ),
    )
    .withPanel(
      lines({
        title: 'Publish confirm latency',
        description: 'From publish to the broker confirm; a vote is answered 202 only after it. High values point at RabbitMQ (disk, quorum fsync).',
        unit: 's',
        queries: quantiles('paredao_publish_confirm_seconds', '', 'job="api"', [0.5, 0.99]),
      }),
    );
}

function errors(): DashboardBuilder {
  return dashboard('paredao-errors', 'Paredão · Errors', 'What fails, why, and whether we are inside the error objective.')
    .withPanel(
      lines({
        title: '5xx ratio against the objective',
        description: `Share of api responses that are 5xx; the dashed line is the ${ERROR_RATIO_OBJECTIVE * 100}% objective (alert ApiHighErrorRatio). Written as 1 - ok/all so it reads 0 while nothing fails; scrapes and health checks left out.`,
        unit: 'percentunit',
        w: 18,
        objective: ERROR_RATIO_OBJECTIVE,
        queries: [
          {
            expr: `1 - (sum(rate(http_requests_total{job="api",${VOTER_TRAFFIC},status_code!~"5.."}[$__rate_interval])) / sum(rate(http_requests_total{job="api",${VOTER_TRAFFIC}}[$__rate_interval])))`,
            legend: '5xx ratio',
          },
        ],
      }),
    )
    .withPanel(
      upDown({
        title: 'Broker connected',
        description: 'Whether each api and consumer instance holds a RabbitMQ connection (alert BrokerDisconnected). Disconnected api → votes get 503.',
        w: 6,
        h: 8,
        down: 'disconnected',
        up: 'connected',
        queries: [{ expr: 'min by (job, instance) (paredao_broker_connected)', legend: '{{job}} {{instance}}' }],
      }),
    )
    .withPanel(
      lines({
        title: '5xx per second by route and status',
        description: 'Server-side failures. 503 on /api/votes means the broker is unavailable.',
        unit: 'reqps',
        queries: [
          {
            expr: 'sum by (route, status_code) (rate(http_requests_total{job="api",status_code=~"5.."}[$__rate_interval]))',
            legend: '{{route}} {{status_code}}',
          },
        ],
      }),
    )
    .withPanel(
      lines({
        title: '4xx per second by route and status',
        description: 'Requests refused as the client’s fault: bad body, anti-bot failures, rate limits, voting closed, 404.',
        unit: 'reqps',
        queries: [
          {
            expr: 'sum by (route, status_code) (rate(http_requests_total{job="api",status_code=~"4.."}[$__rate_interval]))',
            legend: '{{route}} {{status_code}}',
          },
        ],
      }),
    )
    .withPanel(
      lines({
        title: 'Rejected votes per second by reason',
        description: 'Votes not queued, by mode and error code (torcida: antibot_invalid, rate_limited, broker_unavailable, …; unico: already_voted, unauthenticated, …).',
        unit: 'reqps',
        stacked: true,
        queries: [{ expr: 'sum by (mode, reason) (rate(paredao_votes_rejected_total{job="api"}[$__rate_interval]))', legend: '{{mode}}: {{reason}}' }],
      }),
    )
    .withPanel(
      single({
        title: 'Errors in the time range',
        description: 'All 4xx and 5xx answers in the selected range.',
        unit: 'short',
        w: 12,
        h: 8,
        steps: [
          { value: null, color: 'green' },
          { value: 1, color: 'orange' },
        ],
        queries: [
          {
            expr: 'sum by (status_code) (increase(http_requests_total{job="api",status_code=~"[45].."}[$__range]))',
            legend: '{{status_code}}',
          },
        ],
      }),
    );
}

function pipeline(): DashboardBuilder {
  return dashboard('paredao-pipeline', 'Paredão · Pipeline', 'From accepted vote to counted vote: queue, consumer, store.')
    .withPanel(
      upDown({
        title: 'Store up',
        description: 'Whether the consumer can write to its store (MongoDB or SQLite).',
        down: 'down',
        up: 'up',
        queries: [{ expr: 'min by (instance) (paredao_store_up{job="consumer"})', legend: '{{instance}}' }],
      }),
    )
    .withPanel(
      single({
        title: 'Targets up',
        description: 'Scrape targets answering, per job.',
        unit: 'none',
        w: 18,
        steps: [
          { value: null, color: 'red' },
          { value: 1, color: 'green' },
        ],
        queries: [{ expr: 'sum by (job) (up)', legend: '{{job}}' }],
      }),
    )
    .withPanel(
      lines({
        title: 'Queue depth',
        description: 'Messages ready (waiting for the consumer) and unacked (in a batch being applied), per queue (alerts VoteQueueBacklogGrowing, ConsumerNotAcking).',
        unit: 'short',
        queries: [
          { expr: 'sum by (queue) (rabbitmq_detailed_queue_messages_ready{job="rabbitmq-queues"})', legend: '{{queue}} ready' },
          { expr: 'sum by (queue) (rabbitmq_detailed_queue_messages_unacked{job="rabbitmq-queues"})', legend: '{{queue}} unacked' },
        ],
      }),
    )
    .withPanel(
      lines({
        title: 'Votes through the pipeline per second',
        description: 'Accepted by the api, confirmed/delivered/acked by RabbitMQ (whole broker), applied by the consumer. Applied lagging accepted means a growing backlog.',
        unit: 'reqps',
        queries: [
          { expr: 'sum(rate(paredao_votes_accepted_total{job="api"}[$__rate_interval]))', legend: 'accepted (api)' },
          { expr: 'sum(rate(rabbitmq_global_messages_received_confirm_total{job="rabbitmq"}[$__rate_interval]))', legend: 'published with confirm (broker)' },
          { expr: 'sum(rate(rabbitmq_global_messages_delivered_total{job="rabbitmq"}[$__rate_interval]))', legend: 'delivered (broker)' },
          { expr: 'sum(rate(rabbitmq_global_messages_acknowledged_total{job="rabbitmq"}[$__rate_interval]))', legend: 'acked (broker)' },
          { expr: 'sum(rate(paredao_consumer_votes_applied_total{job="consumer"}[$__rate_interval]))', legend: 'applied (consumer)' },
        ],
      }),
    )
    .withPanel(
      lines({
        title: 'Votes per mode per second',
        description: 'Voto da Torcida and Voto Único apart: accepted by the api (202) and counted by the consumer. The labels are the mode only: never a voter.',
        unit: 'reqps',
        queries: [
          { expr: 'sum by (mode) (rate(paredao_votes_accepted_total{job="api"}[$__rate_interval]))', legend: 'accepted {{mode}} (api)' },
          { expr: 'sum by (mode) (rate(paredao_consumer_votes_applied_total{job="consumer"}[$__rate_interval]))', legend: 'applied {{mode}} (consumer)' },
        ],
      }),
    )
    .withPanel(
      lines({
        title: 'Voto Único: sign-ups, accepted, already voted, swept, void',
        description:
          'Voter accounts created; Único votes accepted (202); second attempts refused with 409 already_voted (a person trying again, or two devices at once); claims the consumer\'s sweeper counted because their vote never reached the broker (the api died, or the publish was refused after the claim); claims settled as void because they were accepted after their paredão closed (an api with a stale view: never counted). Counts only: no CPF or account is ever a label.',
        unit: 'short',
        queries: [
          { expr: 'sum(increase(paredao_voter_signups_total{job="api"}[$__rate_interval]))', legend: 'sign-ups' },
          // A paredão without Voto Único has no such series (they start per mode on): 0, not "no data".
          { expr: 'sum(increase(paredao_votes_accepted_total{job="api",mode="unico"}[$__rate_interval])) or vector(0)', legend: 'Único accepted' },
          { expr: 'sum(increase(paredao_votes_rejected_total{job="api",mode="unico",reason="already_voted"}[$__rate_interval]))', legend: 'already_voted' },
          { expr: 'sum(increase(paredao_consumer_unico_swept_total{job="consumer"}[$__rate_interval]))', legend: 'swept (consumer)' },
          { expr: 'sum(increase(paredao_consumer_unico_void_total{job="consumer"}[$__rate_interval]))', legend: 'void (consumer)' },
        ],
      }),
    )
    .withPanel(
      lines({
        title: 'Consumer batch size',
        description: 'Votes per atomic store write. Larger batches under load are expected and cheaper.',
        unit: 'short',
        queries: [
          ...quantiles('paredao_consumer_batch_size', '', 'job="consumer"', [0.5, 0.99]),
          {
            expr: 'sum(rate(paredao_consumer_batch_size_sum{job="consumer"}[$__rate_interval])) / sum(rate(paredao_consumer_batch_size_count{job="consumer"}[$__rate_interval]))',
            legend: 'mean',
          },
        ],
      }),
    )
    .withPanel(
      lines({
        title: 'Batch apply time',
        description: 'One atomic write of a batch to the store, commit included.',
        unit: 's',
        queries: quantiles('paredao_consumer_batch_apply_seconds', '', 'job="consumer"', [0.5, 0.99]),
      }),
    )
    .withPanel(
      lines({
        title: 'Vote-to-count latency',
        description: 'Per applied batch, from the api accepting the oldest vote the batch counted to the consumer committing it: how stale the results are at worst.',
        unit: 's',
        queries: quantiles('paredao_vote_to_count_seconds', '', 'job="consumer"', [0.5, 0.99]),
      }),
    )
    .withPanel(
      lines({
        title: 'Duplicates skipped and dead letters',
        description: 'Redelivered or replayed votes the exactly-once apply dropped, and messages sent to the dead-letter queue: not votes at all, or batch messages with a malformed entry, whose valid votes were counted first (alert VotesDeadLettered).',
        unit: 'short',
        queries: [
          { expr: 'sum(increase(paredao_consumer_duplicates_skipped_total{job="consumer"}[$__rate_interval]))', legend: 'duplicates skipped' },
          { expr: 'sum(increase(paredao_consumer_dead_lettered_total{job="consumer"}[$__rate_interval]))', legend: 'dead-lettered' },
          {
            expr: 'sum by (queue) (rabbitmq_detailed_queue_messages{job="rabbitmq-queues",queue=~".+[.]dead"})',
            legend: '{{queue}} depth',
          },
        ],
      }),
    );
}

export interface DashboardFile {
  file: string;
  model: Dashboard & { schemaVersion: number };
}

function finish(b: DashboardBuilder): Dashboard & { schemaVersion: number } {
  const model = b.build();
  // Grafana assigns `id` on import; a file carrying one clashes with other instances.
  delete model.id;
  model.panels?.forEach((p, i) => {
    p.id = i + 1;
  });
  // The SDK leaves these as {} when empty; Grafana's file model expects { list: [] }.
  return {
    ...model,
    schemaVersion: SCHEMA_VERSION,
    templating: { list: model.templating.list ?? [] },
    annotations: { list: model.annotations.list ?? [] },
  };
}

export function buildDashboards(): DashboardFile[] {
  return [
    { file: 'executions.json', model: finish(executions()) },
    { file: 'latency.json', model: finish(latency()) },
    { file: 'errors.json', model: finish(errors()) },
    { file: 'pipeline.json', model: finish(pipeline()) },
  ];
}

export function serialise(model: unknown): string {
  return `${JSON.stringify(model, null, 2)}\n`;
}
