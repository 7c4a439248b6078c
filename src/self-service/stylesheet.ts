/** The one stylesheet of the web pages, served at STYLESHEET_PATH. */
export const STYLESHEET_PATH = '/assets/roster.css';

export const STYLESHEET = `
:root {
  color-scheme: light;
  --ink: #1b1f29;
  --muted: #5b6475;
  --line: #d9dde6;
  --page: #f4f6fa;
  --card: #ffffff;
  --accent: #1f4fd1;
  --accent-dark: #173da6;
  --error: #b42318;
  --error-bg: #fef3f2;
  --ok: #067647;
  --ok-bg: #ecfdf3;
  --focus: #f5b400;
}
* { box-sizing: border-box; }
html { font-size: 100%; }
body {
  margin: 0;
  min-height: 100vh;
  display: flex;
  flex-direction: column;
  align-items: center;
  background: var(--page);
  color: var(--ink);
  font: 1rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
header.brand {
  width: 100%;
  max-width: 28rem;
  padding: 2.5rem 1rem 1rem;
  text-align: center;
}
header.brand .account { display: block; font-size: 1.125rem; font-weight: 600; }
header.brand .product { color: var(--muted); font-size: 0.875rem; }
main {
  width: calc(100% - 2rem);
  max-width: 28rem;
  background: var(--card);
  border: 1px solid var(--line);
  border-radius: 12px;
  padding: 2rem;
  box-shadow: 0 1px 2px rgba(16, 24, 40, 0.05);
  margin-bottom: 3rem;
}
h1 { font-size: 1.5rem; line-height: 1.25; margin: 0 0 0.75rem; }
p { margin: 0 0 1rem; }
.lead { color: var(--muted); }
form { margin: 0; }
.field { margin: 0 0 1.25rem; }
label { display: block; font-weight: 600; margin-bottom: 0.375rem; }
.hint { display: block; color: var(--muted); font-size: 0.875rem; margin-top: 0.375rem; }
input[type="email"], input[type="password"], input[type="text"], select {
  width: 100%;
  padding: 0.625rem 0.75rem;
  font: inherit;
  color: inherit;
  background: #fff;
  border: 1px solid #b8bfcc;
  border-radius: 8px;
}
input[readonly] { background: var(--page); color: var(--muted); }
input[aria-invalid="true"] { border-color: var(--error); }
button, .button {
  display: inline-block;
  width: 100%;
  padding: 0.7rem 1rem;
  font: inherit;
  font-weight: 600;
  text-align: center;
  text-decoration: none;
  color: #fff;
  background: var(--accent);
  border: 1px solid var(--accent);
  border-radius: 8px;
  cursor: pointer;
}
button:hover, .button:hover { background: var(--accent-dark); }
button.secondary, .button.secondary { color: var(--accent); background: #fff; border-color: var(--line); }
button.secondary:hover, .button.secondary:hover { background: var(--page); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
a { color: var(--accent); }
.alert { border-radius: 8px; padding: 0.75rem 1rem; margin: 0 0 1.25rem; }
.alert.error { color: var(--error); background: var(--error-bg); border: 1px solid #fecdca; }
.alert.ok { color: var(--ok); background: var(--ok-bg); border: 1px solid #abefc6; }
.links { margin: 1.25rem 0 0; text-align: center; font-size: 0.9375rem; }
.actions { display: grid; gap: 0.75rem; margin-top: 1.5rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.5rem 1.25rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
[hidden] { display: none !important; }
section.keys { margin-top: 2rem; padding-top: 1.5rem; border-top: 1px solid var(--line); }
h2 { font-size: 1.25rem; line-height: 1.3; margin: 0 0 0.75rem; }
h3 { font-size: 1.0625rem; line-height: 1.3; margin: 1.5rem 0 0.75rem; }
ul.key-list { list-style: none; margin: 0; padding: 0; }
li.key { border: 1px solid var(--line); border-radius: 8px; padding: 1rem; margin: 0 0 0.75rem; }
li.key h3 { margin: 0 0 0.5rem; overflow-wrap: anywhere; }
li.key .hint { margin: -0.25rem 0 0.75rem; overflow-wrap: anywhere; }
.key-actions { display: grid; grid-template-columns: 1fr 1fr; gap: 0.75rem; margin-top: 1rem; }
button.danger { color: var(--error); background: #fff; border-color: #fecdca; }
button.danger:hover { background: var(--error-bg); }
.label { display: block; font-weight: 600; margin-bottom: 0.375rem; }
code.secret {
  display: block;
  padding: 0.75rem;
  background: var(--page);
  border: 1px solid var(--line);
  border-radius: 8px;
  font-size: 0.9375rem;
  overflow-wrap: anywhere;
  user-select: all;
  -webkit-user-select: all;
}
.copy-status { min-height: 1.5rem; margin: 0.5rem 0 0; color: var(--ok); }
.visually-hidden {
  position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0;
}
/* The console (/admin): wide pages with navigation, tables, counts. */
body.wide header.brand { max-width: 72rem; text-align: left; padding: 1.5rem 1rem 1rem; }
body.wide main { max-width: 72rem; padding: 1.5rem 2rem 2rem; }
body.wide header.brand .account, body.wide header.brand .product { display: inline; margin-right: 0.5rem; }
.console-nav { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 0.75rem; margin-top: 0.75rem; }
.console-nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: 0.25rem 1.25rem; margin: 0; padding: 0; }
.console-nav a { display: inline-block; padding: 0.375rem 0; font-weight: 600; text-decoration: none; }
.console-nav a:hover { text-decoration: underline; }
.console-nav a[aria-current="page"] { color: var(--ink); border-bottom: 3px solid var(--accent); }
button.small, .button.small { width: auto; padding: 0.375rem 0.75rem; font-size: 0.875rem; }
button.inline, .button.inline { width: auto; }
.title-row { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 0.75rem; margin-bottom: 0.75rem; }
.title-row h1 { margin: 0; }
dl.stats { display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr)); gap: 0.75rem; margin: 1rem 0 0.5rem; }
dl.stats .stat { border: 1px solid var(--line); border-radius: 8px; padding: 0.75rem 1rem; }
dl.stats dt { color: var(--muted); font-size: 0.875rem; }
dl.stats dd { margin: 0; font-size: 1.5rem; font-weight: 700; }
form.filters { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 0.75rem 1rem; margin: 1.25rem 0; }
form.filters .field { margin: 0; flex: 1 1 12rem; }
form.narrow { max-width: 32rem; }
input[type="search"], input[type="url"], input[type="date"] {
  width: 100%; padding: 0.625rem 0.75rem; font: inherit; color: inherit; background: #fff;
  border: 1px solid #b8bfcc; border-radius: 8px;
}
select[aria-invalid="true"] { border-color: var(--error); }
.field-error { display: block; color: var(--error); font-size: 0.875rem; margin-top: 0.375rem; }
.field.checkbox, .choice { display: grid; grid-template-columns: auto 1fr; gap: 0 0.625rem; align-items: start; }
.field.checkbox input, .choice input { width: 1.125rem; height: 1.125rem; margin: 0.2rem 0 0; }
.field.checkbox label, .choice label { margin: 0; }
.field.checkbox .hint, .field.checkbox .field-error, .choice .hint { grid-column: 2; margin-top: 0.125rem; }
fieldset { border: 0; padding: 0; margin: 0 0 1.25rem; min-width: 0; }
legend { font-weight: 600; padding: 0; margin-bottom: 0.5rem; }
.choice { margin-bottom: 0.75rem; }
.table-wrap { position: relative; overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; margin: 0 0 1rem; }
table { width: 100%; border-collapse: collapse; font-size: 0.9375rem; }
.table-wrap table { min-width: 44rem; }
/* The audit log's rows stay one line (ids and requests do not wrap); the table scrolls instead. */
table.log th, table.log td, table.log code { white-space: nowrap; overflow-wrap: normal; }
caption { text-align: left; padding: 0.625rem 0.75rem; color: var(--muted); font-size: 0.875rem; }
th, td { text-align: left; padding: 0.5rem 0.75rem; border-top: 1px solid var(--line); vertical-align: top; }
thead th { border-top: 0; background: var(--page); font-size: 0.875rem; white-space: nowrap; }
tbody th { font-weight: 600; }
td code, th code { font-size: 0.875rem; overflow-wrap: anywhere; }
td time { white-space: nowrap; }
.badge { display: inline-block; padding: 0.0625rem 0.5rem; border-radius: 999px; font-size: 0.8125rem; font-weight: 600; white-space: nowrap; }
.badge.active { color: var(--ok); background: var(--ok-bg); }
.badge.invited { color: #8a4b00; background: #fff6e0; }
.badge.expired { color: var(--error); background: var(--error-bg); }
.alert.warning { color: #7a3e00; background: #fff6e0; border: 1px solid #f5d08a; }
.pager { display: flex; gap: 1.5rem; margin-top: 0.5rem; }
.empty { color: var(--muted); }
.actions.row { display: flex; flex-wrap: wrap; gap: 0.75rem; }
.actions.row .button, .actions.row button { width: auto; }
.button.danger { color: var(--error); background: #fff; border-color: #fecdca; }
.button.danger:hover { background: var(--error-bg); }
main section { margin-top: 2rem; padding-top: 1.5rem; border-top: 1px solid var(--line); }
.links.left { text-align: left; }
@media (max-width: 30rem) { body.wide main { padding: 1.25rem 1rem; } }
@media (max-width: 30rem) { main { padding: 1.5rem 1.25rem; } header.brand { padding-top: 1.5rem; } }
`;
