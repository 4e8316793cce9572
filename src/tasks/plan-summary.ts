// What a deploy will do, said right before the question that starts it. With a cluster deployed, the CLI prints
// day2's plan diff (src/plan/diff.ts, what `kubeup plan` shows) and this sums it up in a few lines: which units
// restart on which hosts, which hosts are new, removed or unchanged. With none yet: the hosts (one per line, roles in
// words) and that this is a first deploy.
import type { ClusterDiff } from '../plan/diff.js';
import { hostId, type Profile } from '../profile/types.js';
import { hostRanges } from './host-ranges.js';

/** One line per host (so a list never wraps mid-address): its address, its roles in words, its login if not root. */
export function hostLines(profile: Profile): string[] {
  const width = Math.max(...profile.hosts.map((x) => hostId(x).length));
  return profile.hosts.map((h) => `  ${hostId(h).padEnd(width)}  ${h.roles.join('+')}${h.user === 'root' ? '' : `  (as ${h.user})`}`);
}

const unitWord = (u: string) => u.replace(/\.service$/, '');
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Lines for the terminal before the question: for a first deploy (`diff` undefined) the hosts and what happens; else
 * the diff summed up (nothing when it changes nothing: the diff itself says so).
 */
export function planSummary(profile: Profile, diff: ClusterDiff | undefined): string[] {
  if (!diff) return [`Profile ${profile.name}: ${plural(profile.hosts.length, 'host')}`, ...hostLines(profile), 'First deploy: everything is installed and started on every host.'];
  const name = (h: ClusterDiff['hosts'][number]) => h.nodeName || h.id;
  const of = (action: string) => diff.hosts.filter((h) => h.action === action);
  const lines: string[] = [];
  const units = [...new Set(diff.hosts.filter((h) => h.action === 'update').flatMap((h) => [...h.unitsRestart, ...h.unitsStart]))];
  for (const unit of units) {
    const restart = of('update').filter((h) => h.unitsRestart.includes(unit));
    const start = of('update').filter((h) => h.unitsStart.includes(unit));
    if (restart.length) lines.push(`  ${unitWord(unit)} inputs change on ${hostRanges(restart.map(name))} → ${plural(restart.length, `${unitWord(unit)} restart`)}`);
    if (start.length) lines.push(`  ${unitWord(unit)} is not running on ${hostRanges(start.map(name))} → started`);
  }
  const quiet = of('update').filter((h) => h.unitsRestart.length === 0 && h.unitsStart.length === 0);
  if (quiet.length) lines.push(`  files change on ${hostRanges(quiet.map(name))}, no restart`);
  if (of('add').length) lines.push(`  new: ${hostRanges(of('add').map(name))} (everything installed)`);
  if (of('remove').length) lines.push(`  no longer in the profile: ${hostRanges(of('remove').map(name))} (drained and cleaned)`);
  if (lines.length === 0) return [];
  if (of('unchanged').length) lines.push(`  ${hostRanges(of('unchanged').map(name))} unchanged`);
  return ['In short:', ...lines];
}
