/** The cluster view as `raftctl status` prints it: a table, or JSON. */
import { adminv1 } from '@raftkit/proto';
import { type Column, renderTable } from '../format/table.js';
import { formatBytes } from '../format/units.js';
import type { ClusterView, MemberView } from './view.js';

const ROLE_NAMES: Record<adminv1.Role, string> = {
  [adminv1.Role.UNSPECIFIED]: 'unknown',
  [adminv1.Role.FOLLOWER]: 'follower',
  [adminv1.Role.PRE_CANDIDATE]: 'pre-candidate',
  [adminv1.Role.CANDIDATE]: 'candidate',
  [adminv1.Role.LEADER]: 'leader',
};

/** A member's role in words; a follower that does not vote is a learner. */
export function roleName(s: adminv1.MemberStatus): string {
  if (s.isLearner && s.role === adminv1.Role.FOLLOWER) return 'learner';
  return ROLE_NAMES[s.role] ?? 'unknown';
}

const dash = '-';
const num = (f: (s: adminv1.MemberStatus) => number) => (m: MemberView) => (m.status ? String(f(m.status)) : dash);

const COLUMNS: Column<MemberView>[] = [
  { header: 'ID', cell: (m) => (m.id === undefined ? '?' : String(m.id)), right: true },
  { header: 'ADDRESS', cell: (m) => m.address ?? '(unknown)' },
  { header: 'ROLE', cell: (m) => (m.status ? roleName(m.status) : m.isLearner ? 'learner?' : dash) },
  { header: 'TERM', cell: num((s) => s.term), right: true },
  { header: 'LEADER', cell: (m) => (m.isLeader ? '*' : '') },
  { header: 'COMMIT', cell: num((s) => s.commitIndex), right: true },
  { header: 'APPLIED', cell: num((s) => s.appliedIndex), right: true },
  { header: 'LAST', cell: num((s) => s.lastIndex), right: true },
  { header: 'SNAPSHOT', cell: num((s) => s.snapshotIndex), right: true },
  { header: 'LAG', cell: (m) => (m.lag === undefined ? dash : String(m.lag)), right: true },
  { header: 'DB SIZE', cell: (m) => (m.status ? formatBytes(m.status.dbSizeBytes) : dash), right: true },
  { header: 'REACHABLE', cell: (m) => (m.status ? 'yes' : m.error ? `no: ${m.error.message}` : m.address ? 'no' : 'no: no client address known') },
];

/** The status table. */
export function renderClusterTable(view: ClusterView): string {
  return renderTable(COLUMNS, view.members);
}

/** The JSON form of one member (stable field names for scripts). */
export function memberJson(m: MemberView) {
  const s = m.status;
  return {
    id: m.id ?? null,
    name: m.name ?? null,
    address: m.address ?? null,
    reachable: s !== undefined,
    error: m.error ? m.error.message : null,
    role: s ? roleName(s) : null,
    isLeader: m.isLeader,
    isLearner: s ? s.isLearner : m.isLearner,
    term: s?.term ?? null,
    leaderId: s ? s.leaderId || null : null,
    commitIndex: s?.commitIndex ?? null,
    appliedIndex: s?.appliedIndex ?? null,
    firstIndex: s?.firstIndex ?? null,
    lastIndex: s?.lastIndex ?? null,
    snapshotIndex: s?.snapshotIndex ?? null,
    lag: m.lag ?? null,
    dbSizeBytes: s?.dbSizeBytes ?? null,
    version: s?.version ?? null,
  };
}

/** The JSON form of the view (`raftctl status --json`). */
export function clusterJson(view: ClusterView) {
  return {
    clusterId: view.clusterId ?? null,
    leader: view.leaderId || null,
    term: view.term,
    members: view.members.map(memberJson),
  };
}
