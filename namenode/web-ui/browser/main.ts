// The namenode page's entry module: the navigation, the user and token fields, and a hash router over the
// overview (#overview, the default), a directory (#browse=<path>) and a file (#file=<path>).

import { byId, h, show } from '../../../shared/web-ui/browser/dom.js';
import { renderOverview } from './overview.js';
import { browseHash, renderDirectory, renderFile } from './explorer.js';
import { currentToken, currentUser, isTokenText, setCurrentToken, setCurrentUser } from './webhdfs.js';

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
  // The token is written into the field as a property, never as an attribute: the DOM keeps it only there.
  const token = h('input', { id: 'token', name: 'token', type: 'password', placeholder: 'none', autocomplete: 'off', spellcheck: 'false' }) as HTMLInputElement;
  token.value = currentToken();
  // A token's user is the caller whatever user.name says: the user field then has no say.
  const userHasNoSay = () => {
    user.disabled = currentToken() !== '';
    user.title = user.disabled ? 'Ignored while a token is set: the token names the user' : '';
  };
  token.addEventListener('input', () => token.setCustomValidity(''));
  token.addEventListener('change', () => {
    const value = token.value.trim();
    if (value === currentToken()) return;
    if (!isTokenText(value)) {
      token.setCustomValidity('A token is printable text without spaces, as dfs dfsadmin -createToken prints it');
      token.reportValidity();
      return;
    }
    token.value = value;
    setCurrentToken(value);
    userHasNoSay();
    route();
  });
  userHasNoSay();
  show(
    byId('header-extra'),
    h('label', { title: 'Sent as user.name with every file system call' }, 'User ', user),
    ' ',
    h('label', { title: 'A bearer token (dfs dfsadmin -createToken): sent as Authorization: Bearer with every file system call, and its user acts' }, 'Token ', token),
  );
  window.addEventListener('hashchange', route);
  route();
}

start();
