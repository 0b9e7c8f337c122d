// The namenode's overview (HDFS's dfshealth): the cluster report and the namenode group, refreshed
// every few seconds. Every figure comes from GET /rpc/v1/admin/report and /rpc/v1/admin/namenodes,
// the answers `dfs dfsadmin -report` prints.

import type { ClusterReport, DatanodeReport } from '../../../shared/cluster-report.js';
import type { NamenodeGroup } from '../../../shared/namenode-group.js';
import { type Child, fetchJson, facts, formatBytes, formatDuration, formatTime, h, poll, show, table } from '../../../shared/web-ui/browser/dom.js';

export const OVERVIEW_REFRESH_MS = 2_000;

export function renderOverview(main: HTMLElement, isCurrent: () => boolean): void {
  const status = h('div', { id: 'overview-status' });
  const summary = h('section', { id: 'summary' });
  const namenodes = h('section', { id: 'namenodes-section' });
  const datanodes = h('section', { id: 'datanodes-section' });
  show(main, status, h('h2', {}, 'Summary'), summary, h('h2', {}, 'Namenodes'), namenodes, h('h2', {}, 'Datanodes'), datanodes);
  let shownReport = false;
  poll(
    async () => {
      const [report, group] = await Promise.allSettled([fetchJson<ClusterReport>('/rpc/v1/admin/report'), fetchJson<NamenodeGroup>('/rpc/v1/admin/namenodes')]);
      if (!isCurrent()) return;
      const now = Date.now();
      if (report.status === 'fulfilled') {
        show(summary, summaryOf(report.value));
        show(datanodes, datanodesTable(report.value.datanodes));
        shownReport = true;
      }
      if (group.status === 'fulfilled') show(namenodes, namenodesTable(group.value, report.status === 'fulfilled' ? report.value.namenode.url : ''));
      const failure = [report, group].find((answer): answer is PromiseRejectedResult => answer.status === 'rejected');
      show(
        status,
        failure
          ? h('div', { class: 'banner error', role: 'alert' }, `Cannot refresh: ${(failure.reason as Error).message}${shownReport ? ' (showing the last answer)' : ''}`)
          : h('p', { class: 'muted' }, `Updated ${new Date(now).toLocaleTimeString()}; refreshes every ${OVERVIEW_REFRESH_MS / 1000} s.`),
      );
    },
    OVERVIEW_REFRESH_MS,
    isCurrent,
  );
}

function summaryOf(report: ClusterReport): HTMLElement {
  const { namenode, totals, namespace, safeMode } = report;
  const bytes = (n: number) => `${formatBytes(n)}`;
  const safe: Child = safeMode === null ? h('span', { class: 'muted' }, 'decided by the leader') : safeMode.on ? h('span', { class: 'warn' }, `ON: ${safeMode.reportedBlocks} of ${safeMode.totalBlocks} blocks reported`) : 'off';
  const flagged = (n: number) => (n > 0 ? h('span', { class: 'bad' }, n) : n);
  return h(
    'div',
    {},
    facts([
      ['Cluster ID', 'cluster-id', namenode.clusterId],
      ['Version', 'version', namenode.version],
      ['This namenode', 'namenode', [namenode.url, ' (', namenode.role, ')']],
      ['Started', 'started', `${formatTime(namenode.startedAtMs)} (up ${formatDuration(namenode.uptimeMs)})`, namenode.startedAtMs],
      ['Safe mode', 'safe-mode', safe],
      ['Configured capacity', 'capacity', bytes(totals.capacityBytes), totals.capacityBytes],
      ['DFS used', 'used', `${bytes(totals.usedBytes)} (${totals.usedPercent.toFixed(2)}%)`, totals.usedBytes],
      ['DFS remaining', 'remaining', bytes(totals.remainingBytes), totals.remainingBytes],
      ['Live datanodes', 'datanodes-live', totals.live, totals.live],
      ['Stale datanodes', 'datanodes-stale', totals.stale, totals.stale],
      ['Dead datanodes', 'datanodes-dead', flagged(totals.dead), totals.dead],
      ['Decommissioning datanodes', 'datanodes-decommissioning', totals.decommissioning, totals.decommissioning],
      ['Decommissioned datanodes', 'datanodes-decommissioned', totals.decommissioned, totals.decommissioned],
      ['Files and directories', 'files', `${plural(namespace.files, 'file')}, ${plural(namespace.directories, 'directory', 'directories')} (${bytes(namespace.totalSizeBytes)})`, namespace.files],
      ['Blocks', 'blocks', namespace.blocks, namespace.blocks],
      ['Under-replicated blocks', 'under-replicated', flagged(namespace.underReplicatedBlocks), namespace.underReplicatedBlocks],
      ['Missing blocks', 'missing', flagged(namespace.missingBlocks), namespace.missingBlocks],
      ['Corrupt blocks', 'corrupt', flagged(namespace.corruptBlocks), namespace.corruptBlocks],
    ]),
    h('p', {}, 'Used: ', totals.usedPercent.toFixed(2), '% of ', bytes(totals.capacityBytes)),
    h(
      'div',
      { class: 'bar', role: 'meter', 'aria-label': 'DFS used', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': totals.usedPercent, id: 'capacity-bar' },
      // The width is set through the CSSOM: the page's policy forbids inline style attributes.
      withWidth(h('span', {}), totals.usedPercent),
    ),
  );
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

function withWidth(element: HTMLElement, percent: number): HTMLElement {
  element.style.width = `${Math.min(100, Math.max(0, percent))}%`;
  return element;
}

function namenodesTable(group: NamenodeGroup, self: string): HTMLElement {
  return table(
    ['Namenode', 'Role', 'Term', 'Leader', 'Commit index', 'Applied index', 'Last log index'],
    group.namenodes.map(({ url, status }) => [
      h('a', { href: `${url}/` }, url, url === self ? ' (this one)' : ''),
      status ? h('span', { class: status.role === 'leader' ? 'ok' : '' }, status.role) : h('span', { class: 'bad' }, 'unreachable'),
      status?.term ?? '',
      status?.leader ?? (status ? 'none' : ''),
      status?.commit ?? '',
      status?.applied ?? '',
      status?.lastIndex ?? '',
    ]),
    { numeric: [2, 4, 5, 6], id: 'namenodes', empty: 'No namenode answered.' },
  );
}

function datanodesTable(nodes: DatanodeReport[]): HTMLElement {
  const sorted = [...nodes].sort((a, b) => a.url.localeCompare(b.url));
  return table(
    ['Datanode', 'State', 'Admin state', 'Last heartbeat', 'Capacity', 'Used', 'Remaining', 'Blocks', 'Transfers'],
    sorted.map((node) => [
      h('a', { href: `${node.url}/` }, node.url),
      h('span', { class: `state-${node.state}` }, node.state),
      node.adminState,
      `${formatDuration(node.lastHeartbeatAgeMs)} ago`,
      formatBytes(node.capacityBytes),
      formatBytes(node.usedBytes),
      formatBytes(node.remainingBytes),
      node.blocks,
      node.xceiverCount,
    ]),
    { numeric: [4, 5, 6, 7, 8], id: 'datanodes', empty: 'No datanode has registered.' },
  );
}
