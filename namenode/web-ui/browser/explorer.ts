// The file browser: a directory's listing (with mkdir and upload), and a file's status, block
// locations and download link. Everything goes through WebHDFS as the user named in the header (or
// the user of the token given there), so the namenode's permission checks decide what succeeds;
// their messages are shown as they come.

import { type Child, facts, formatBytes, formatTime, h, show, table } from '../../../shared/web-ui/browser/dom.js';
import { blockLocations, childPath, currentToken, downloadUrl, fileStatus, listStatus, mkdirs, permissionString, upload, webhdfsUrl, type FileStatusJson } from './webhdfs.js';

export const browseHash = (path: string): string => `#browse=${encodeURIComponent(path)}`;
export const fileHash = (path: string): string => `#file=${encodeURIComponent(path)}`;

/** Links to `/` and each directory above `path`. */
function breadcrumbs(path: string): HTMLElement {
  const parts = path.split('/').filter((part) => part !== '');
  const links: Child[] = [h('a', { href: browseHash('/') }, '/')];
  parts.forEach((part, i) => {
    const prefix = '/' + parts.slice(0, i + 1).join('/');
    links.push(i > 0 ? ' / ' : '', h('a', { href: browseHash(prefix) }, part));
  });
  return h('p', { class: 'crumbs', id: 'crumbs' }, 'Path: ', links);
}

function banner(kind: 'error' | 'info', text: string): HTMLElement {
  return h('div', { class: `banner ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export async function renderDirectory(main: HTMLElement, path: string, isCurrent: () => boolean): Promise<void> {
  const status = h('div', { id: 'status' });
  const listing = h('section', { id: 'listing-section' }, h('p', { class: 'muted' }, 'Loading…'));
  const folderName = h('input', { name: 'folder', id: 'mkdir-name', placeholder: 'new folder name', required: true }) as HTMLInputElement;
  const fileInput = h('input', { type: 'file', id: 'upload-file', required: true }) as HTMLInputElement;
  const refresh = async () => {
    try {
      const entries = await listStatus(path);
      if (isCurrent()) show(listing, listingTable(path, entries));
    } catch (error) {
      if (isCurrent()) show(listing, banner('error', `Cannot list ${path}: ${message(error)}`));
    }
  };
  const act = (what: () => Promise<string>) => async (event: Event) => {
    event.preventDefault();
    show(status, banner('info', 'Working…'));
    try {
      const done = await what();
      show(status, banner('info', done));
      await refresh();
    } catch (error) {
      show(status, banner('error', message(error)));
    }
  };
  const mkdirForm = h(
    'form',
    {
      id: 'mkdir-form',
      onsubmit: act(async () => {
        const name = folderName.value.trim();
        if (name === '' || name.startsWith('/')) throw new Error('Give a folder name relative to this directory');
        const target = childPath(path, name);
        await mkdirs(target);
        folderName.value = '';
        return `Created ${target}`;
      }),
    },
    folderName,
    h('button', { type: 'submit' }, 'Create folder'),
  );
  const uploadForm = h(
    'form',
    {
      id: 'upload-form',
      onsubmit: act(async () => {
        const file = fileInput.files?.[0];
        if (!file) throw new Error('Choose a file to upload');
        const target = childPath(path, file.name);
        await upload(target, file);
        fileInput.value = '';
        return `Uploaded ${target} (${file.size} bytes)`;
      }),
    },
    fileInput,
    h('button', { type: 'submit' }, 'Upload'),
  );
  show(main, h('h2', {}, 'Browse the file system'), breadcrumbs(path), h('div', { class: 'toolbar' }, mkdirForm, uploadForm), status, listing);
  await refresh();
}

function listingTable(dir: string, entries: FileStatusJson[]): HTMLElement {
  const sorted = [...entries].sort((a, b) => (a.type === b.type ? a.pathSuffix.localeCompare(b.pathSuffix) : a.type === 'DIRECTORY' ? -1 : 1));
  return table(
    ['Permission', 'Owner', 'Group', 'Size', 'Last modified', 'Replication', 'Block size', 'Name'],
    sorted.map((entry) => {
      const path = childPath(dir, entry.pathSuffix);
      const isDir = entry.type === 'DIRECTORY';
      return [
        h('span', { class: 'mono' }, permissionString(entry.type, entry.permission)),
        entry.owner,
        entry.group,
        isDir ? '' : formatBytes(entry.length),
        formatTime(entry.modificationTime),
        isDir ? '' : entry.replication,
        isDir ? '' : formatBytes(entry.blockSize),
        h('a', { href: isDir ? browseHash(path) : fileHash(path), class: isDir ? 'dir' : 'file' }, entry.pathSuffix, isDir ? '/' : ''),
      ];
    }),
    { numeric: [3, 5, 6], id: 'listing', empty: 'This directory is empty.' },
  );
}

/**
 * With a token, the click follows a link made for it that never joins the page: the token stays out
 * of the DOM (and of "copy link address"), shown only as dots in its own field.
 */
function withToken(path: string, name: string): (event: Event) => void {
  return (event) => {
    if (currentToken() === '') return;
    event.preventDefault();
    h('a', { href: downloadUrl(path), download: name }).click();
  };
}

export async function renderFile(main: HTMLElement, path: string, isCurrent: () => boolean): Promise<void> {
  const parent = path.slice(0, path.lastIndexOf('/')) || '/';
  const name = path.slice(path.lastIndexOf('/') + 1);
  show(main, h('h2', {}, 'File'), breadcrumbs(parent), h('p', { class: 'muted' }, 'Loading…'));
  let status: FileStatusJson;
  let blocks;
  try {
    [status, blocks] = await Promise.all([fileStatus(path), blockLocations(path)]);
  } catch (error) {
    if (isCurrent()) show(main, h('h2', {}, 'File'), breadcrumbs(parent), banner('error', `Cannot read ${path}: ${message(error)}`));
    return;
  }
  if (!isCurrent()) return;
  show(
    main,
    h('h2', {}, 'File ', h('span', { id: 'file-name', class: 'mono' }, name)),
    breadcrumbs(parent),
    facts([
      ['Path', 'path', path],
      ['Size', 'length', `${formatBytes(status.length)} (${status.length} bytes)`, status.length],
      ['Owner', 'owner', status.owner],
      ['Group', 'group', status.group],
      ['Permission', 'permission', permissionString(status.type, status.permission)],
      ['Replication', 'replication', status.replication, status.replication],
      ['Block size', 'block-size', formatBytes(status.blockSize), status.blockSize],
      ['Last modified', 'modified', formatTime(status.modificationTime)],
      ['Last accessed', 'accessed', formatTime(status.accessTime)],
    ]),
    // OPEN redirects to a datanode, which sends the bytes as a download.
    h('p', {}, h('a', { id: 'download', href: webhdfsUrl(path, 'OPEN'), download: name, onclick: withToken(path, name) }, 'Download')),
    h('h2', {}, 'Block locations'),
    table(
      ['#', 'Block ID', 'Generation stamp', 'Size', 'Offset', 'Datanodes'],
      blocks.map((located, i) => [
        i,
        located.block.blockId,
        located.block.generationStamp,
        formatBytes(located.block.numBytes),
        located.startOffset,
        located.locations.map((node, j) => [j > 0 ? ', ' : '', h('a', { href: `http://${node.name}/`, class: 'location' }, node.name)]),
      ]),
      { numeric: [0, 2, 3, 4], id: 'blocks', empty: 'This file has no blocks.' },
    ),
  );
}
