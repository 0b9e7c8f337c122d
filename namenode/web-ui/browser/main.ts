// The namenode page's entry module: the navigation, the user field, and a hash router over the
// overview (#overview, the default), a directory (#browse=<path>) and a file (#file=<path>).

import { byId, h, show } from '../../../shared/web-ui/browser/dom.js';
import { renderOverview } from './overview.js';
import { browseHash, renderDirectory, renderFile } from './explorer.js';
import { currentUser, setCurrentUser } from './webhdfs.js';

/** Bumped on every navigation: a view whose number is no longer current stops refreshing and drawing. */
let generation = 0;

function route(): void {
  const current = ++generation;
  const isCurrent = () => current === generation;
  const main = byId('main');
  const hash = new URLSearchParams(location.hash.slice(1));
  const browse = hash.get('browse');
  const file = hash.get('file');
  for (const link of byId('nav').querySelectorAll('a')) {
    const active = (link.dataset.view === 'browse') === (browse !== null || file !== null);
    link.classList.toggle('active', active);
  }
  if (file !== null) void renderFile(main, file, isCurrent);
  else if (browse !== null) void renderDirectory(main, browse === '' ? '/' : browse, isCurrent);
  else renderOverview(main, isCurrent);
}

function start(): void {
  show(byId('nav'), h('a', { href: '#overview', 'data-view': 'overview' }, 'Overview'), h('a', { href: browseHash('/'), 'data-view': 'browse' }, 'Browse the file system'));
  const user = h('input', { id: 'user', name: 'user.name', placeholder: 'dr.who', value: currentUser(), autocomplete: 'username', spellcheck: 'false' }) as HTMLInputElement;
  user.addEventListener('change', () => {
    // Browsers fire change again on blur after a scripted change: redraw once per new user only.
    if (user.value.trim() === currentUser()) return;
    setCurrentUser(user.value.trim());
    route();
  });
  show(byId('header-extra'), h('label', { title: 'Sent as user.name with every file system call' }, 'User ', user));
  window.addEventListener('hashchange', route);
  route();
}

start();
