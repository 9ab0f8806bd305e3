/**
 * Says where a V8 CPU profile's time went, for a profile taken by hand
 * (`node --cpu-prof apps/node/dist/main.js ...`): self time by area
 * (grpc-js, lmdb, @raftkit/core, GC...), the functions with the most self
 * time, and raftkit's functions by inclusive time, with compiled code
 * mapped back to its TypeScript source.
 *
 *   pnpm --filter @raftkit/bench profile-summary FILE.cpuprofile [--top 30]
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type CpuProfile, type TimeShare, summarizeProfile } from './cpuprofile.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values, positionals } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  allowPositionals: true,
  options: { top: { type: 'string', default: '30' } },
});
if (positionals.length !== 1) {
  process.stderr.write('usage: profile-summary FILE.cpuprofile [--top N]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as CpuProfile;
const s = summarizeProfile(profile, profile.startTime, profile.endTime, REPO_ROOT, Number(values.top));
const row = (t: TimeShare): string => {
  const under = t.under ? `  (mostly under ${t.under.name} ${t.under.location}, ${t.under.pct}%)` : '';
  return `${t.pct.toFixed(1).padStart(6)} %  ${t.name}  ${t.location}${under}`;
};
const out = [
  `main thread busy ${Math.round(s.busyMs)} ms of ${Math.round(s.sampledMs)} ms sampled; shares are of the busy time`,
  '',
  'self time by area:',
  ...s.categories.filter((c) => c.pct >= 0.1).map(row),
  '',
  'functions by self time:',
  ...s.topSelf.map(row),
  '',
  "raftkit's functions by inclusive time:",
  ...s.topRaftkitInclusive.map(row),
];
process.stdout.write(`${out.join('\n')}\n`);
