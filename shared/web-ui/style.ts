// The web UI's stylesheet, shared by the namenode and datanode pages (served at /ui/style.css).

export const WEB_UI_CSS = `
:root { --fg: #1d2329; --muted: #6a737d; --line: #d8dee4; --bg: #fff; --head: #24313f; --accent: #1f6feb; --bad: #c62828; --warn: #b26a00; --ok: #2e7d32; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 1.5rem; padding: .6rem 1.2rem; background: var(--head); color: #fff; }
header h1 { font-size: 1.1rem; margin: 0; }
header a { color: #cfe3ff; text-decoration: none; margin-right: 1rem; }
header a.active { color: #fff; font-weight: 600; text-decoration: underline; }
header label { font-size: .9rem; }
header input { font: inherit; padding: .15rem .35rem; width: 9rem; }
main { padding: 1rem 1.2rem 3rem; max-width: 1400px; }
h2 { font-size: 1.15rem; margin: 1.6rem 0 .6rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; }
th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f3f5f7; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1.2rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; font-variant-numeric: tabular-nums; }
.bar { position: relative; height: 1.1rem; background: #e6ebf0; border-radius: 3px; overflow: hidden; max-width: 36rem; }
.bar > span { display: block; height: 100%; background: var(--accent); }
.muted { color: var(--muted); }
.state-live, .ok { color: var(--ok); }
.state-stale, .warn { color: var(--warn); }
.state-dead, .bad { color: var(--bad); font-weight: 600; }
.banner { padding: .5rem .8rem; border-radius: 4px; margin: .5rem 0; }
.banner.error { background: #fdecea; color: var(--bad); }
.banner.info { background: #e8f1fd; }
.toolbar { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; margin: .6rem 0; }
.toolbar form { display: flex; gap: .4rem; align-items: center; }
.crumbs a { margin: 0 .15rem; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .92em; }
`;
