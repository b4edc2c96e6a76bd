// Every PromQL expression the monitoring config contains (dashboard panels and rules), for the
// offline checks (tests/config/monitoring.test.ts) and the live one (tests/e2e/dashboards-live.test.ts).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { parse } from 'yaml';
import { buildDashboards } from './grafana/dashboards.js';
import { RULE_FILES, RULES_DIR } from './prometheus/targets.js';

export interface Expression {
  /** Where it comes from, for failure messages: "latency.json › Publish confirm latency › B". */
  where: string;
  expr: string;
  kind: 'panel' | 'record' | 'alert';
}

// Grafana replaces these before sending a query; Prometheus would reject `$`.
const GRAFANA_VARIABLES: Record<string, string> = {
  $__rate_interval: '1m',
  $__interval: '15s',
  $__range: '5m',
};

export function substituteGrafanaVariables(expr: string): string {
  return expr.replace(/\$__[a-z_]+/g, (v) => {
    const value = GRAFANA_VARIABLES[v];
    if (value === undefined) throw new Error(`no substitute for Grafana variable ${v} in ${expr}`);
    return value;
  });
}

export function dashboardExpressions(): Expression[] {
  return buildDashboards().flatMap(({ file, model }) =>
    (model.panels ?? []).flatMap((panel) => {
      const targets = ('targets' in panel ? panel.targets : undefined) ?? [];
      return targets.map((t) => {
        const { expr, refId } = t as { expr?: string; refId?: string };
        if (!expr) throw new Error(`${file} › ${panel.title}: target without expr`);
        return { where: `${file} › ${panel.title} › ${refId}`, expr: substituteGrafanaVariables(expr), kind: 'panel' as const };
      });
    }),
  );
}

interface RuleFile {
  groups: { name: string; rules: { record?: string; alert?: string; expr: string }[] }[];
}

export function ruleExpressions(rulesDir = RULES_DIR): Expression[] {
  return RULE_FILES.flatMap((f) => {
    const doc = parse(readFileSync(path.join(rulesDir, f), 'utf8')) as RuleFile;
    return doc.groups.flatMap((g) =>
      g.rules.map((r) => ({
        where: `${f} › ${g.name} › ${r.record ?? r.alert}`,
        expr: r.expr.trim(),
        kind: r.alert ? ('alert' as const) : ('record' as const),
      })),
    );
  });
}

/** Parse errors reported by the PromQL grammar Prometheus' own UI uses, as "offset: text". */
export function promqlSyntaxErrors(expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(`${node.from}: ${JSON.stringify(expr.slice(node.from, node.to + 10))}`);
    },
  });
  return errors;
}

/** The vector selectors inside an expression, e.g. `up`, `x{job="api"}` (range brackets excluded). */
export function vectorSelectors(expr: string): string[] {
  const found = new Set<string>();
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.name === 'VectorSelector') found.add(expr.slice(node.from, node.to));
    },
  });
  return [...found];
}
