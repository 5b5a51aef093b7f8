// bench/run's table: merges the slices of each row and server, prints the table, writes it as
// PREFIX.md and PREFIX.json, and exits 1 when any request failed.
//
//   node report.mjs TMPDIR PREFIX < meta.json
//
// TMPDIR holds slices.tsv (row server requests duration_us errors cpu_ticks histogram_file),
// rss.tsv (row server peak_kib), rows.tsv (row alg) and, when a signed row ran, signing.tsv
// (alg signatures_per_second on one core, measured in the same run).
import fs from 'node:fs';
import path from 'node:path';

const [tmp, prefix] = process.argv.slice(2);
const meta = JSON.parse(fs.readFileSync(0, 'utf8'));
const tsv = (name) => {
  const file = path.join(tmp, name);
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t'));
};

const sweep = tsv('sweep.tsv');
const rows = tsv('rows.tsv').map(([row, alg, base]) => ({ row, alg: alg || null, base }));
const signing = Object.fromEntries(tsv('signing.tsv').map(([alg, rate]) => [alg, Number(rate)]));
// The open-loop half-rate slices (measure.sh `paced`): row server target achieved p50 p99 errors.
const paced = {};
for (const [row, server, target, achieved, p50, p99, errors] of tsv('paced.tsv')) {
  paced[`${row}/${server}`] = {
    paced_target_rps: Number(target), paced_rps: Number(achieved),
    paced_p50_ms: Number(p50) / 1000, paced_p99_ms: Number(p99) / 1000, paced_errors: Number(errors),
  };
}
const peak = {};
for (const [row, server, kib] of tsv('rss.tsv')) peak[`${row}/${server}`] = Number(kib);

function merge(row, server) {
  const slices = tsv('slices.tsv').filter(([r, s]) => r === row && s === server);
  let requests = 0, duration = 0, errors = 0, ticks = 0;
  const hist = new Map();
  for (const [, , req, dur, err, cpu, histFile] of slices) {
    requests += Number(req); duration += Number(dur); errors += Number(err); ticks += Number(cpu);
    if (histFile !== '/dev/null' && fs.existsSync(histFile)) {
      for (const line of fs.readFileSync(histFile, 'utf8').split('\n').filter(Boolean)) {
        const [us, count] = line.split(' ').map(Number);
        hist.set(us, (hist.get(us) ?? 0) + count);
      }
    }
  }
  const sorted = [...hist.entries()].sort((a, b) => a[0] - b[0]);
  const total = sorted.reduce((n, [, c]) => n + c, 0);
  const percentile = (p) => {
    let seen = 0;
    for (const [us, c] of sorted) { seen += c; if (seen >= total * p) return us; }
    return null;
  };
  const success = Math.max(requests - errors, 0);
  return {
    requests, errors,
    rps: duration > 0 ? requests / (duration / 1e6) : 0,
    p50_ms: total ? percentile(0.5) / 1000 : null,
    p99_ms: total ? percentile(0.99) / 1000 : null,
    cpu_us_per_request: success ? (ticks / meta.clk_tck) * 1e6 / success : null,
    peak_rss_mb: peak[`${row}/${server}`] ? peak[`${row}/${server}`] / 1024 : null,
  };
}

const results = [];
for (const { row, alg, base } of rows) {
  const servers = [...new Set(tsv('slices.tsv').filter(([r]) => r === row).map(([, s]) => s))];
  const byServer = Object.fromEntries(servers.map((s) => [s, merge(row, s)]));
  for (const s of servers) {
    const r = byServer[s];
    // The ratio to oidc-provider; on a growth row, to Oxid on an empty database.
    if (s !== base && byServer[base]?.rps) r.ratio = r.rps / byServer[base].rps;
    if (alg && signing[alg]) r.ratio_to_raw_signing = r.rps / signing[alg];
    const half = paced[`${row}/${s}`];
    if (half) { Object.assign(r, half); r.errors += half.paced_errors; }
    results.push({ row, server: s, alg, ...r });
  }
}

const fmt = (v, d = 0) => (v === null || v === undefined ? '' :
  v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));
const name = {
  oxid: 'Oxid (SQLite)',
  'oxid-pg': 'Oxid (PostgreSQL)',
  'oxid-baseline': 'Oxid (SQLite, baseline binary)',
  'oxid-pg2': 'Oxid (PostgreSQL, 2 instances)',
  'oxid-1m': `Oxid (SQLite, ${meta.growth_tokens.toLocaleString('en-US')} live tokens)`,
  'oxid-sweep': `Oxid (SQLite, sweeping ${meta.sweep_tokens.toLocaleString('en-US')} expired tokens)`,
  node: `oidc-provider ${meta.oidc_provider}`,
};
const header = '| row | server | req/s | p50 ms | p99 ms | CPU µs/req | peak RSS MB | errors | ratio | ratio to raw signing | p99 ms at ½ rate |';
const lines = [header, '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|'];
for (const r of results) {
  lines.push(`| ${r.row} | ${name[r.server] ?? r.server} | ${fmt(r.rps)} | ${fmt(r.p50_ms, 2)} | ` +
    `${fmt(r.p99_ms, 2)} | ${fmt(r.cpu_us_per_request)} | ${fmt(r.peak_rss_mb, 1)} | ${r.errors} | ` +
    `${r.ratio ? `**${fmt(r.ratio, 2)}×**` : ''} | ` +
    `${r.ratio_to_raw_signing ? fmt(r.ratio_to_raw_signing, 2) : ''} | ` +
    `${r.paced_p99_ms !== undefined ? `${fmt(r.paced_p99_ms, 2)} (${fmt(r.paced_rps)}/s)` : ''} |`);
}
const errors = results.reduce((n, r) => n + r.errors, 0);
const md = [
  `# bench/run, ${meta.started}`,
  '',
  `\`${meta.command.trim()}\` at ${meta.git}; ${meta.cores} cores, servers on core ` +
  `${meta.server_core}, load on core ${meta.load_core}; load average ${meta.load_before} before, ` +
  `${meta.load_after} after; ${meta.duration_s} s per row and server in ${meta.rounds} ABBA slices ` +
  `after a ${meta.warmup_s} s warm-up; wrk with ${meta.connections} connections, the code flow with ` +
  `${meta.flow_concurrency} browsers; Node ${meta.node}.`,
  '',
  ...lines,
  '',
  'ratio: req/s against oidc-provider on the same row; on the @1M rows, against Oxid on an ' +
  'empty database (the slowdown as the store grows); on the @sweep row, against Oxid with ' +
  'no sweep running. p99 at ½ rate: an open-loop load at half the req/s that server ' +
  'reached in the row (its achieved rate in brackets), latency counted from when each request ' +
  'was due (bench/flow `paced`); the target is under 5 ms.',
  ...sweep.map(([row, server, from, to]) =>
    `\n${row}, ${name[server] ?? server}: a slice began with ${from} expired tokens left and ended with ${to}.`),
  '',
  errors ? `**${errors} failed requests: this run does not count.**` : 'Every response was checked (status and body): no errors.',
  '',
].join('\n');
fs.writeFileSync(`${prefix}.md`, md);
fs.writeFileSync(`${prefix}.json`, `${JSON.stringify({ ...meta, signing, results }, null, 2)}\n`);
process.stdout.write(`${md}\nwritten: ${prefix}.md, ${prefix}.json\n`);
process.exit(errors ? 1 : 0);
