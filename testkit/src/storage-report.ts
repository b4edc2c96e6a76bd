/** One virtual hour of bench/storage-sim.ts. */
export interface StorageSample {
  /** Virtual hours since the first vote. */
  hour: number;
  counted: number;
  /** Applied ids in the hot table (what dedup checks against). */
  hotRows: number;
  archiveRows: number;
  archiveBytes: number;
  /** The SQLite file, and the part of it in use (the rest is free pages the next writes reuse). */
  fileBytes: number;
  usedBytes: number;
}

/** bench/storage-sim.ts's raw output (bench/results/storage-<date>.json). */
export interface StorageOutput {
  machine: { cpuModel: string; cores: number; node: string; date: string; command: string; gitCommit: string; loadAvgAtStart: number[]; loadAvgAtEnd: number[] };
  settings: { votes: number; days: number; batch: number; slackMs: number; pruneEveryMs: number; retryShare: number; resendShare: number; redeliverShare: number; outageHours: number };
  injected: { retries: number; resends: number; redeliveredBatches: number; redeliveredVotes: number };
  result: {
    generated: number;
    counted: number;
    tallyTotal: number;
    recountEqualsTallies: boolean;
    archivedIds: number;
    doubled: number;
    lost: number;
    duplicatesSkipped: number;
    belowMark: number;
    lateCopyRefused: boolean;
    backlog: { votes: number; olderThanWindow: number; oldestAcceptedAt: number; newestAcceptedAt: number; counted: number };
    archiveBytes: number;
    archiveRows: number;
    archiveBytesPerVote: number;
    hotRowsMaxAfterFirstHour: number;
    hotRowsEnd: number;
    applyUsPerVote: number;
    prune: { calls: number; deleted: number; compacted: number; wallMs: number; cpuUs: number; usPerDeletedId: number };
    wallSec: number;
  };
  samples: StorageSample[];
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/** The storage section of docs/BENCHMARKS.md: the run, its checks, and the hot store and archive every few virtual hours. */
export function renderStorage(out: StorageOutput, source: string): string {
  const { machine: m, settings: s, injected: i, result: r } = out;
  const lines = [
    `Run ${m.date.slice(0, 16).replace('T', ' ')} UTC at ${m.gitCommit} (\`${m.command}\`, [${source}](../${source})): ${m.cpuModel}, ${m.cores} cores, Node ${m.node}; ` +
      `load average ${m.loadAvgAtStart.map((l) => l.toFixed(1)).join(' / ')} at the start, ${m.loadAvgAtEnd.map((l) => l.toFixed(1)).join(' / ')} at the end (1/5/15 min); ${r.wallSec.toFixed(0)} s of wall time.`,
    '',
    `${int(s.votes)} votes over ${s.days} virtual days in batches of ${s.batch}, slack ${s.slackMs / 1000} s, a prune every ${s.pruneEveryMs / 1000} virtual s; ` +
      `copies injected: ${int(i.retries)} voters' retries, ${int(i.resends)} publisher resends, ${int(i.redeliveredBatches)} batches redelivered (${int(i.redeliveredVotes)} votes); ` +
      `a consumer outage of ${s.outageHours} virtual hours.`,
    '',
    '| check | result |',
    '|---|--:|',
    `| votes counted / generated | ${int(r.counted)} / ${int(r.generated)} |`,
    `| lost | **${int(r.lost)}** |`,
    `| doubled (an id twice in the archive) | **${int(r.doubled)}** |`,
    `| recount from the archive equals the tallies | ${r.recountEqualsTallies ? 'yes' : '**no**'} |`,
    `| copies skipped as duplicates | ${int(r.duplicatesSkipped)} |`,
    `| votes refused below the mark during the run | ${int(r.belowMark)} |`,
    `| a copy of the first vote, sent after the run, refused | ${r.lateCopyRefused ? 'yes' : '**no**'} |`,
    `| backlog after the outage: queued votes (copies included) / accepted longer than the window before the consumer returned / counted | ${int(r.backlog.votes)} / ${int(r.backlog.olderThanWindow)} / ${int(r.backlog.counted)} |`,
    `| hot applied ids: most after the first hour / at the end | ${int(r.hotRowsMaxAfterFirstHour)} / ${int(r.hotRowsEnd)} |`,
    `| archive: bytes per vote (${int(r.archiveRows)} blobs) | ${r.archiveBytesPerVote.toFixed(2)} |`,
    `| applyBatch CPU per vote (archive included) | ${r.applyUsPerVote.toFixed(1)} µs |`,
    `| prune: ${int(r.prune.calls)} calls, ${int(r.prune.deleted)} ids dropped, ${int(r.prune.compacted)} blobs merged | ${r.prune.usPerDeletedId.toFixed(1)} µs CPU per dropped id, ${(r.prune.wallMs / Math.max(1, r.prune.calls)).toFixed(0)} ms wall per call |`,
    '',
    '| virtual hour | counted | hot ids | SQLite file | in use | archive | archive B/vote |',
    '|--:|--:|--:|--:|--:|--:|--:|',
  ];
  const every = Math.max(1, Math.ceil(out.samples.length / 16));
  out.samples.forEach((x, k) => {
    if (k % every !== 0 && k !== out.samples.length - 1) return;
    lines.push(`| ${x.hour.toFixed(0)} | ${int(x.counted)} | ${int(x.hotRows)} | ${mb(x.fileBytes)} | ${mb(x.usedBytes)} | ${mb(x.archiveBytes)} | ${(x.archiveBytes / Math.max(1, x.counted)).toFixed(2)} |`);
  });
  return lines.join('\n');
}
