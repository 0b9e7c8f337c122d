// The datanode page: its volumes, replicas, transfers in progress and its last exchange with each
// namenode, from GET /dfs/v1/status, refreshed every few seconds.

import type { DatanodeStatus } from '../../../shared/datanode-status.js';
import { byId, fetchJson, facts, formatBytes, formatDuration, formatTime, h, poll, show, table } from '../../../shared/web-ui/browser/dom.js';

export const STATUS_REFRESH_MS = 2_000;

type Command = DatanodeStatus['namenodes'][number]['recentCommands'][number];
const describeCommand = (command: Command): string => (command.type === 'reregister' ? 'reregister' : `${command.type} ${command.blocks} block${command.blocks === 1 ? '' : 's'}`);

function render(status: DatanodeStatus): HTMLElement[] {
  const t = status.transfers;
  return [
    h('h2', {}, 'Summary'),
    facts([
      ['Datanode', 'url', status.url],
      ['UUID', 'uuid', h('span', { class: 'mono' }, status.uuid)],
      ['Rack', 'rack', status.rack],
      ['Version', 'version', status.version],
      ['Started', 'started', `${formatTime(status.startedAtMs)} (up ${formatDuration(status.uptimeMs)})`, status.startedAtMs],
      ['Blocks', 'blocks', status.blocks, status.blocks],
      ['Transfers in progress', 'transfers', `${t.reads} reads, ${t.writes} writes, ${t.replications} replications`, t.reads + t.writes + t.replications],
    ]),
    h('h2', {}, 'Volumes'),
    table(
      ['Path', 'Capacity', 'Used', 'Free', 'Blocks'],
      status.volumes.map((v) => [h('span', { class: 'mono' }, v.dir), formatBytes(v.capacity), formatBytes(v.used), formatBytes(v.remaining), v.blocks]),
      { numeric: [1, 2, 3, 4], id: 'volumes' },
    ),
    h('h2', {}, 'Namenodes'),
    table(
      ['Namenode', 'Registered', 'HA state', 'Last heartbeat', 'Last answer', 'Last full block report', 'Last error'],
      status.namenodes.map((nn) => [
        h('a', { href: `${nn.url}/` }, nn.url),
        nn.registered ? 'yes' : h('span', { class: 'warn' }, 'no'),
        nn.haState,
        nn.lastHeartbeat ? `${formatTime(nn.lastHeartbeat.atMs)} (${formatDuration(nn.lastHeartbeat.ageMs)} ago)` : 'never',
        nn.lastHeartbeat ? (nn.lastHeartbeat.commands.length === 0 ? 'no commands' : nn.lastHeartbeat.commands.map(describeCommand).join(', ')) : '',
        nn.lastFullReportMs === null ? 'never' : formatTime(nn.lastFullReportMs),
        nn.lastError ? h('span', { class: 'bad' }, `${formatTime(nn.lastError.atMs)}: ${nn.lastError.message}`) : '',
      ]),
      { id: 'namenodes', empty: 'No namenode configured.' },
    ),
    h('h2', {}, 'Commands received'),
    table(
      ['Time', 'From', 'Command'],
      status.namenodes
        .flatMap((nn) => nn.recentCommands.map((command) => ({ nn: nn.url, command })))
        .sort((a, b) => b.command.atMs - a.command.atMs)
        .map(({ nn, command }) => [formatTime(command.atMs), nn, describeCommand(command)]),
      { id: 'commands', empty: 'No command received yet.' },
    ),
    h('h2', {}, 'Transfers in progress'),
    table(
      ['Type', 'Block', 'File', 'Targets', 'Running for'],
      status.transfersInProgress.map((tr) => [
        tr.type,
        tr.blockId === undefined ? '' : h('span', { class: 'mono' }, `blk_${tr.blockId}_${tr.genStamp ?? ''}`),
        tr.path ?? '',
        (tr.targets ?? []).join(', '),
        formatDuration(tr.ageMs),
      ]),
      { id: 'transfers', empty: 'No transfer is running.' },
    ),
    h('h2', {}, `Blocks (${status.blockSample.length} of ${status.blocks})`),
    table(
      ['Block', 'Size', 'Volume'],
      status.blockSample.map((b) => [h('span', { class: 'mono' }, `blk_${b.blockId}_${b.genStamp}`), formatBytes(b.numBytes), h('span', { class: 'mono' }, b.volume)]),
      { numeric: [1], id: 'block-list', empty: 'No block stored.' },
    ),
  ];
}

function start(): void {
  const main = byId('main');
  const banner = h('div', { id: 'status' });
  const body = h('div', { id: 'datanode' });
  show(main, banner, body);
  poll(
    async () => {
      try {
        const status = await fetchJson<DatanodeStatus>('/dfs/v1/status');
        show(body, render(status));
        show(banner, h('p', { class: 'muted' }, `Updated ${new Date().toLocaleTimeString()}; refreshes every ${STATUS_REFRESH_MS / 1000} s.`));
      } catch (error) {
        show(banner, h('div', { class: 'banner error', role: 'alert' }, `Cannot refresh: ${(error as Error).message}`));
      }
    },
    STATUS_REFRESH_MS,
    () => true,
  );
}

start();
