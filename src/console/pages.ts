/**
 * The console's pages, as functions of what they show, in the layout and stylesheet of the
 * other pages (self-service/pages.ts). Plain HTML forms that work without JavaScript; every
 * input has a label, and a refusal is shown in words next to the field it concerns.
 */
import type { ApiKeysTable, AuditEntriesTable } from '../db/tables.js';
import type { FieldError } from '../errors.js';
import { encodeId } from '../http/global-id.js';
import { isoTime } from '../http/time.js';
import { html, type Html, type HtmlValue } from '../html.js';
import type { UndeliveredEmail } from '../mail/outbox.js';
import type { InvitationDelivery } from '../mail/undelivered.js';
import { COPY_SCRIPT, copyButton } from '../self-service/copy-button.js';
import {
  checkboxField,
  inputField,
  problemOf,
  selectField,
  type FieldProblem,
} from '../self-service/field.js';
import { csrfField, errorAlert, type Page } from '../self-service/pages.js';
import type { Session } from '../sessions/service.js';
import type { SsoSettings } from '../sso/service.js';
import type { StatusCounts } from '../users/store.js';
import type { InviteMode, UserStatus } from '../users/rules.js';
import type { User } from '../users/service.js';
import type { ConsoleAccess } from './access.js';

export const CONSOLE_SCRIPT_PATH = '/assets/console.js';

/** How long the People search waits after the last key before it searches. */
export const SEARCH_PAUSE_MS = 400;

/** How often a page asks again for a state that is changing (an email being sent). */
export const POLL_MS = 2000;

/**
 * The copy buttons' script (COPY_SCRIPT), and: a region marked data-poll reloads its content
 * from that address every POLL_MS while it shows a state that is still changing; a search form
 * marked data-live searches as one types (after a pause) and puts the results in the element it
 * names; a form marked data-confirm asks before it is sent.
 */
export const CONSOLE_SCRIPT = `const POLL_MS = ${POLL_MS};
const SEARCH_PAUSE_MS = ${SEARCH_PAUSE_MS};
${COPY_SCRIPT}
for (const region of document.querySelectorAll('[data-poll]')) {
  const waiting = () => region.querySelector('[data-state="pending"], [data-state="processing"]');
  const poll = async () => {
    try {
      const response = await fetch(region.dataset.poll, { credentials: 'same-origin' });
      if (response.ok) region.innerHTML = await response.text();
    } catch {
      // Offline for a moment: the next poll tries again.
    }
    if (waiting()) setTimeout(poll, POLL_MS);
  };
  if (waiting()) setTimeout(poll, POLL_MS);
}
for (const form of document.querySelectorAll('form[data-live]')) {
  const results = document.getElementById(form.dataset.live);
  const status = document.getElementById(form.dataset.status);
  let timer;
  let asked = 0;
  const search = async () => {
    const query = new URLSearchParams(new FormData(form)).toString();
    const url = form.action + (query ? '?' + query : '');
    const mine = ++asked;
    try {
      const response = await fetch(url, { credentials: 'same-origin' });
      if (!response.ok || mine !== asked) return;
      const page = new DOMParser().parseFromString(await response.text(), 'text/html');
      const found = page.getElementById(form.dataset.live);
      if (!found || mine !== asked) return;
      results.innerHTML = found.innerHTML;
      history.replaceState(null, '', url);
      status.textContent = page.querySelector('tbody') ? 'The list below is updated.' : 'Nobody matches.';
    } catch {
      // The search button still works.
    }
  };
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(search, SEARCH_PAUSE_MS);
  };
  form.addEventListener('input', later);
  form.addEventListener('change', later);
}
for (const form of document.querySelectorAll('form[data-confirm]')) {
  form.addEventListener('submit', (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}
`;

export type Section = 'people' | 'invite' | 'audit' | 'account';

export interface Frame {
  session: Session;
  csrf: string;
  access: ConsoleAccess;
}

const STATUS_WORDS: Record<UserStatus, string> = {
  active: 'Active',
  invited: 'Invited',
  expired: 'Invitation expired',
};

export const PREDEFINED_ROLE_WORDS: Record<string, string> = {
  admin: 'Admin',
  member: 'Member',
  annotator: 'Annotator',
};

function roleWords(user: User): string {
  return user.role.type === 'custom'
    ? user.role.name
    : (PREDEFINED_ROLE_WORDS[user.role.name] ?? user.role.name);
}

export function when(ms: number): Html {
  const iso = isoTime(ms);
  return html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;
}

function nav(frame: Frame, current: Section): Html {
  const item = (section: Section, href: string, label: string) =>
    html`<li>
      <a href="${href}" ${section === current ? html`aria-current="page"` : ''}>${label}</a>
    </li>`;
  const manage = frame.access === 'manage';
  return html`<nav class="console-nav" aria-label="Console">
    <ul>
      ${item('people', '/admin', 'People')}
      ${manage ? item('invite', '/admin/invite', 'Invite') : ''}
      ${manage ? item('audit', '/admin/audit', 'Audit log') : ''}
      ${manage ? item('account', '/admin/account', 'Account') : ''}
      <li><a href="/account">Your account</a></li>
    </ul>
    <form method="post" action="/logout">
      ${csrfField(frame.csrf)}
      <button type="submit" class="secondary small">Sign out</button>
    </form>
  </nav>`;
}

function consolePage(frame: Frame, section: Section, title: string, body: Html): Page {
  return {
    title,
    accountName: frame.session.accountName,
    wide: true,
    nav: nav(frame, section),
    script: CONSOLE_SCRIPT_PATH,
    body,
  };
}

function okNotice(message: string | undefined): Html {
  return message ? html`<div class="alert ok" role="status">${message}</div>` : html``;
}

// ---------------------------------------------------------------------------------------
// Refused

export function refusedPage(session: Session, reason: string): Page {
  return {
    title: 'No access to the console',
    accountName: session.accountName,
    body: html`<h1>You cannot use the console</h1>
      <p>${reason}</p>
      <p>Ask an admin of ${session.accountName} if you need access.</p>
      <div class="actions">
        <a class="button secondary" href="/account">Go to your account</a>
      </div>`,
  };
}

/** A request the console refuses outside a form: what is wrong, and the way back. */
export function problemPage(session: Session, status: number, message: string): Page {
  return {
    title: status === 404 ? 'Not found' : 'Not possible',
    accountName: session.accountName,
    body: html`<h1>${status === 404 ? 'Not found' : 'This could not be done'}</h1>
      <p>${message}</p>
      <div class="actions"><a class="button secondary" href="/admin">Back to people</a></div>`,
  };
}

// ---------------------------------------------------------------------------------------
// People

export interface PeopleView {
  users: User[];
  counts: StatusCounts;
  email: string;
  status: UserStatus | '';
  nextHref?: string;
  firstHref?: string;
  notice?: string;
  error?: string;
}

function counts(view: PeopleView): Html {
  const item = (label: string, value: number) =>
    html`<div class="stat">
      <dt>${label}</dt>
      <dd>${value.toLocaleString('en-US')}</dd>
    </div>`;
  return html`<dl class="stats" aria-describedby="counts-note">
      ${item('Active', view.counts.active)} ${item('Invited', view.counts.invited)}
      ${item('Invitation expired', view.counts.expired)}
    </dl>
    <p class="hint" id="counts-note">Everyone in the account, counted now.</p>`;
}

const STATUS_CHOICES: { value: UserStatus | ''; label: string }[] = [
  { value: '', label: 'Any status' },
  { value: 'active', label: 'Active' },
  { value: 'invited', label: 'Invited' },
  { value: 'expired', label: 'Invitation expired' },
];

export function peoplePage(frame: Frame, view: PeopleView): Page {
  const rows = view.users.map(
    (user) =>
      html`<tr>
        <th scope="row"><a href="/admin/users/${user.id}">${user.name}</a></th>
        <td>${user.email}</td>
        <td>${roleWords(user)}</td>
        <td><span class="badge ${user.status}">${STATUS_WORDS[user.status]}</span></td>
        <td>${user.isDeveloper ? 'Yes' : 'No'}</td>
        <td>${when(user.createdAt)}</td>
      </tr>`,
  );
  const filtered = view.email !== '' || view.status !== '';
  const table =
    view.users.length > 0
      ? dataTable({
          caption: filtered ? 'People matching your search' : 'People, oldest first',
          columns: ['Name', 'Email', 'Role', 'Status', 'Developer', 'Created'],
          rows,
        })
      : html`<p class="empty">${filtered ? 'Nobody matches this search.' : 'Nobody here yet.'}</p>`;
  return consolePage(
    frame,
    'people',
    'People',
    html`<div class="title-row">
        <h1>People</h1>
        ${frame.access === 'manage' ? html`<a class="button inline" href="/admin/invite">Invite someone</a>` : ''}
      </div>
      ${frame.access === 'read' ? html`<p class="lead">You can see the people of this account; only admins can change them.</p>` : ''}
      ${okNotice(view.notice)} ${errorAlert(view.error)} ${counts(view)}
      <form
        method="get"
        action="/admin"
        class="filters"
        role="search"
        data-live="people-results"
        data-status="search-status"
      >
        ${inputField({
          id: 'email',
          label: 'Search by email',
          type: 'search',
          value: view.email,
          maxlength: 254,
        })}
        ${selectField({
          id: 'status',
          label: 'Status',
          options: STATUS_CHOICES,
          selected: view.status,
        })}
        <button type="submit" class="inline">Search</button>
      </form>
      <p class="visually-hidden" id="search-status" role="status"></p>
      <div id="people-results">
        ${table}
        <nav class="pager" aria-label="Pages">
          ${view.firstHref ? html`<a href="${view.firstHref}">First page</a>` : ''}
          ${view.nextHref ? html`<a href="${view.nextHref}" rel="next">Next page</a>` : ''}
        </nav>
      </div>`,
  );
}

// ---------------------------------------------------------------------------------------
// Invite

export interface RoleChoice {
  /** `predefined:member` or `custom:<id>`. */
  value: string;
  label: string;
}

export interface InviteForm {
  name: string;
  email: string;
  role: string;
  isDeveloper: boolean;
  inviteMode: InviteMode;
}

export const EMPTY_INVITE: InviteForm = {
  name: '',
  email: '',
  role: 'predefined:member',
  isDeveloper: true,
  inviteMode: 'email_link',
};

const MODE_SENTENCES: Record<InviteMode, { label: string; sentence: string }> = {
  email_link: {
    label: 'Email a link',
    sentence: 'We email them a link; they choose their own password with it.',
  },
  temporary_password: {
    label: 'Temporary password',
    sentence:
      'You get a password to give them yourself, shown once; they replace it when they first sign in.',
  },
  none: {
    label: 'No invitation (single sign-on)',
    sentence:
      'They are a member at once and sign in with the account’s single sign-on; nothing is sent.',
  },
};

function developerField(checked: boolean, problem?: FieldProblem): Html {
  return checkboxField({
    id: 'is_developer',
    label: 'Developer',
    checked,
    hint: 'A developer may use the API with keys of their own.',
    hintId: 'developer-hint',
    problem,
  });
}

export function invitePage(
  frame: Frame,
  input: {
    form: InviteForm;
    roles: RoleChoice[];
    invitationDays: number;
    error?: string;
    errors?: FieldError[];
  },
): Page {
  const { form } = input;
  const modes = (Object.keys(MODE_SENTENCES) as InviteMode[]).map((mode) => {
    const words = MODE_SENTENCES[mode];
    const sentence =
      mode === 'email_link'
        ? `${words.sentence} The link lasts ${input.invitationDays} ${input.invitationDays === 1 ? 'day' : 'days'}.`
        : words.sentence;
    return html`<div class="choice">
      <input
        type="radio"
        id="mode-${mode}"
        name="invite_mode"
        value="${mode}"
        aria-describedby="mode-${mode}-hint"
        ${form.inviteMode === mode ? 'checked' : ''}
      />
      <label for="mode-${mode}">${words.label}</label>
      <span class="hint" id="mode-${mode}-hint">${sentence}</span>
    </div>`;
  });
  return consolePage(
    frame,
    'invite',
    'Invite someone',
    html`<h1>Invite someone</h1>
      ${errorAlert(input.error)}
      <form method="post" action="/admin/invite" class="narrow">
        ${csrfField(frame.csrf)}
        ${inputField({
          id: 'name',
          label: 'Name',
          required: true,
          maxlength: 255,
          autocomplete: 'off',
          value: form.name,
          problem: problemOf(input.errors, 'name'),
        })}
        ${inputField({
          id: 'email',
          label: 'Email',
          type: 'email',
          required: true,
          maxlength: 254,
          autocomplete: 'off',
          value: form.email,
          problem: problemOf(input.errors, 'email'),
        })}
        ${selectField({
          id: 'role',
          label: 'Role',
          options: input.roles,
          selected: form.role,
          problem: problemOf(input.errors, 'role'),
        })}
        ${developerField(form.isDeveloper)}
        <fieldset class="field">
          <legend>How they get in</legend>
          ${modes}
        </fieldset>
        <button type="submit">Invite</button>
      </form>`,
  );
}

/** The path of a person's invitation email page, and with `?part=state` of its state alone. */
export const deliveryPath = (userId: string) => `/admin/users/${userId}/email`;

/** The state of the newest invitation email to a person, in words (data-state says which). */
export function deliveryState(delivery: InvitationDelivery | undefined): Html {
  if (!delivery)
    return html`<p data-state="none">No invitation email was written for this person.</p>`;
  const state = (words: Html | string, badge: string) =>
    html`<p data-state="${delivery.status}">
      Invitation email: <span class="badge ${badge}">${words}</span>
    </p>`;
  switch (delivery.status) {
    case 'pending':
      return delivery.attempts === 0
        ? state('Waiting to be sent', 'invited')
        : html`${state('Waiting to be sent again', 'invited')}
            <p>
              ${delivery.attempts === 1 ? 'The first attempt' : `${delivery.attempts} attempts`}
              failed: ${delivery.lastError ?? 'no reason given'}
            </p>`;
    case 'processing':
      return state('Being sent', 'invited');
    case 'sent':
      return state(html`Sent ${delivery.sentAt !== null ? when(delivery.sentAt) : ''}`, 'active');
    case 'dead':
      return html`${state('Not sent: gave up', 'expired')}
        <p>
          After ${delivery.attempts} ${delivery.attempts === 1 ? 'attempt' : 'attempts'}, the last
          error was: ${delivery.lastError ?? 'no reason given'}. Check the address, then retry it
          from the <a href="/admin/account">Account</a> page.
        </p>`;
  }
}

/** The delivery state, refreshed by the script while it changes, and a link that refreshes it. */
function delivery(userId: string, state: InvitationDelivery | undefined): Html {
  return html`<section aria-labelledby="delivery-heading">
    <h2 id="delivery-heading">Delivery</h2>
    <div id="delivery" aria-live="polite" data-poll="${deliveryPath(userId)}?part=state">
      ${deliveryState(state)}
    </div>
    <p><a href="${deliveryPath(userId)}">Refresh the delivery state</a></p>
  </section>`;
}

/** A person's invitation email, on its own page (where the Refresh link leads). */
export function deliveryPage(
  frame: Frame,
  user: User,
  state: InvitationDelivery | undefined,
): Page {
  return consolePage(
    frame,
    'people',
    `Invitation email to ${user.name}`,
    html`<h1>Invitation email to ${user.name}</h1>
      <p>Sent to ${user.email}. See <a href="/admin/users/${user.id}">${user.name}</a>.</p>
      ${delivery(user.id, state)}`,
  );
}

export type InviteOutcome =
  | { kind: 'temporary_password'; user: User; password: string }
  | { kind: 'email_link'; user: User; delivery?: InvitationDelivery }
  | { kind: 'none'; user: User }
  | { kind: 'already-invited'; user: User }
  | { kind: 'activated'; user: User };

export function invitedPage(frame: Frame, outcome: InviteOutcome): Page {
  const { user } = outcome;
  const { title, heading, body } = inviteResult(outcome);
  return consolePage(
    frame,
    'invite',
    title,
    html`<h1>${heading}</h1>
      ${body}
      <p>See <a href="/admin/users/${user.id}">${user.name}</a>.</p>
      <div class="actions row">
        <a class="button" href="/admin/invite">Invite someone else</a>
        <a class="button secondary" href="/admin">Back to people</a>
      </div>`,
  );
}

/** What an invitation's outcome page says: its title, heading, and what happened. */
function inviteResult(outcome: InviteOutcome): { title: string; heading: string; body: Html } {
  const { user } = outcome;
  const done = (text: string) => html`<div class="alert ok" role="status">${text}</div>`;
  switch (outcome.kind) {
    case 'temporary_password':
      return {
        title: 'Temporary password',
        heading: `${user.name} is invited`,
        body: html`<div class="alert warning" role="alert">
            This temporary password is shown only this once. Copy it now and give it to ${user.name}
            in a safe way; they will choose their own password when they first sign in.
          </div>
          <div class="field">
            <span class="label" id="secret-label">Temporary password for ${user.email}</span>
            <code class="secret" id="secret" aria-labelledby="secret-label"
              >${outcome.password}</code
            >
            <span class="hint">Click the password to select all of it, then copy it.</span>
          </div>
          ${copyButton({ source: 'secret', label: 'Copy the password', noun: 'the text' })}`,
      };
    case 'email_link':
      return {
        title: 'Invitation sent',
        heading: `${user.name} is invited`,
        body: html`${done(`The invitation email to ${user.email} is queued: its delivery shows below.`)}
        ${delivery(user.id, outcome.delivery)}`,
      };
    case 'none':
      return {
        title: 'Member added',
        heading: `${user.name} is a member`,
        body: done(
          `${user.email} is active now and signs in with the account’s single sign-on. ` +
            'No email was sent.',
        ),
      };
    case 'already-invited':
      return {
        title: 'Already invited',
        heading: `${user.name} was already invited`,
        body: done(
          `${user.email} has an invitation that is still valid, so nothing was changed and ` +
            'nothing new was sent. To send the invitation again, use “Resend invitation” on ' +
            'their page.',
        ),
      };
    case 'activated':
      return {
        title: 'Member added',
        heading: `${user.name} is a member`,
        body: done(
          `${user.email} had been invited; their invitation is replaced and they are active ` +
            'now, signing in with the account’s single sign-on.',
        ),
      };
  }
}

// ---------------------------------------------------------------------------------------
// A person

export interface PersonView {
  user: User;
  invitationExpiresAt: number | null;
  lastSignInAt?: number;
  keys?: ApiKeysTable[];
  entries?: AuditEntriesTable[];
  roles: RoleChoice[];
  notice?: string;
  error?: string;
  errors?: FieldError[];
  form?: { name: string; role: string; isDeveloper: boolean };
}

function roleValue(user: User): string {
  return user.role.type === 'custom' ? `custom:${user.role.id}` : `predefined:${user.role.name}`;
}

function keyRow(frame: Frame, userId: string, key: ApiKeysTable): Html {
  return html`<tr>
    <th scope="row">${key.name}</th>
    <td><code>${key.redacted_key}</code></td>
    <td>${when(key.created_at)}</td>
    <td>${key.last_used_at !== null ? when(key.last_used_at) : 'Never'}</td>
    <td>
      <form
        method="post"
        action="/admin/users/${userId}/keys/revoke"
        data-confirm="Revoke the key ${key.name}? It stops working at once."
      >
        ${csrfField(frame.csrf)}
        <input type="hidden" name="key" value="${encodeId('ApiKey', key.id)}" />
        <button type="submit" class="danger small">
          Revoke<span class="visually-hidden"> ${key.name}</span>
        </button>
      </form>
    </td>
  </tr>`;
}

/** `names`: who acted, by user id, when the table has a "By" column. */
function entryRows(
  entries: AuditEntriesTable[],
  names: ReadonlyMap<string, string> | undefined,
): Html {
  return html`${entries.map(
    (entry) =>
      html`<tr>
        <td>${when(Number(entry.created_at))}</td>
        <th scope="row">${entry.operation_name}</th>
        <td><code>${entry.operation_text}</code></td>
        ${
          names
            ? html`<td>
                ${
                  entry.user_id
                    ? html`<a href="/admin/users/${entry.user_id}"
                        >${names.get(entry.user_id) ?? entry.user_id}</a
                      >`
                    : 'Operator'
                }
              </td>`
            : ''
        }
        <td>${entry.target_type ? `${entry.target_type} ${entry.target_id ?? ''}` : ''}</td>
        <td>${entry.ip ?? ''}</td>
      </tr>`,
  )}`;
}

/** A column whose header only screen readers read: the row's button. */
const ACTION = { hidden: 'Action' } as const;

/**
 * A table in a box that scrolls sideways on a narrow screen, named for screen readers by its
 * caption, its own label or an element's id, and focusable so the box scrolls by keyboard.
 */
function dataTable(table: {
  caption?: string;
  label?: string;
  labelledBy?: string;
  columns: readonly (string | typeof ACTION)[];
  rows: HtmlValue;
  className?: string;
}): Html {
  const name = table.labelledBy
    ? html`aria-labelledby="${table.labelledBy}"`
    : html`aria-label="${table.label ?? table.caption ?? ''}"`;
  return html`<div class="table-wrap" role="region" ${name} tabindex="0">
    <table${table.className ? html` class="${table.className}"` : ''}>
      ${
        table.caption
          ? html`<caption>
              ${table.caption}
            </caption>`
          : ''
      }
      <thead>
        <tr>
          ${table.columns.map((column) =>
            typeof column === 'string'
              ? html`<th scope="col">${column}</th>`
              : html`<th scope="col"><span class="visually-hidden">${column.hidden}</span></th>`,
          )}
        </tr>
      </thead>
      <tbody>
        ${table.rows}
      </tbody>
    </table>
  </div>`;
}

function entriesTable(
  entries: AuditEntriesTable[],
  caption: string,
  names?: ReadonlyMap<string, string>,
): Html {
  return dataTable({
    caption,
    columns: ['When', 'Operation', 'Request', ...(names ? ['By'] : []), 'About', 'Address'],
    rows: entryRows(entries, names),
    className: 'log',
  });
}

export function personPage(frame: Frame, view: PersonView): Page {
  const { user } = view;
  const manage = frame.access === 'manage';
  const form = view.form ?? {
    name: user.name,
    role: roleValue(user),
    isDeveloper: user.isDeveloper,
  };
  const facts = html`<dl class="facts">
    <dt>Email</dt>
    <dd>${user.email}</dd>
    <dt>Status</dt>
    <dd><span class="badge ${user.status}">${STATUS_WORDS[user.status]}</span></dd>
    ${
      user.status !== 'active'
        ? html`<dt>Invitation ${user.status === 'expired' ? 'expired' : 'expires'}</dt>
            <dd>
              ${view.invitationExpiresAt !== null ? when(view.invitationExpiresAt) : 'No invitation'}
            </dd>`
        : ''
    }
    <dt>Role</dt>
    <dd>${roleWords(user)}</dd>
    <dt>Developer</dt>
    <dd>${user.isDeveloper ? 'Yes' : 'No'}</dd>
    <dt>Created</dt>
    <dd>${when(user.createdAt)}</dd>
    ${
      manage
        ? html`<dt>Last sign-in</dt>
            <dd>
              ${view.lastSignInAt !== undefined ? when(view.lastSignInAt) : 'Never signed in to the pages'}
            </dd>`
        : ''
    }
  </dl>`;
  if (!manage) {
    return consolePage(
      frame,
      'people',
      user.name,
      html`<h1>${user.name}</h1>
        ${facts}
        <p class="links"><a href="/admin">Back to people</a></p>`,
    );
  }
  const edit = html`<section aria-labelledby="edit-heading">
    <h2 id="edit-heading">Change</h2>
    <form method="post" action="/admin/users/${user.id}" class="narrow">
      ${csrfField(frame.csrf)}
      ${inputField({
        id: 'name',
        label: 'Name',
        required: true,
        maxlength: 255,
        value: form.name,
        problem: problemOf(view.errors, 'name'),
      })}
      ${selectField({
        id: 'role',
        label: 'Role',
        options: view.roles,
        selected: form.role,
        problem: problemOf(view.errors, 'role'),
      })}
      ${developerField(form.isDeveloper, problemOf(view.errors, 'is_developer'))}
      <button type="submit">Save changes</button>
    </form>
  </section>`;
  const actions = html`<section aria-labelledby="actions-heading">
    <h2 id="actions-heading">Access</h2>
    <div class="actions row">
      ${
        user.status === 'invited'
          ? html`<form method="post" action="/admin/users/${user.id}/resend">
              ${csrfField(frame.csrf)}
              <button type="submit" class="secondary">Resend invitation</button>
            </form>`
          : ''
      }
      ${
        user.status === 'active'
          ? html`<form method="post" action="/admin/users/${user.id}/reset">
              ${csrfField(frame.csrf)}
              <button type="submit" class="secondary">Send password reset</button>
            </form>`
          : ''
      }
      <a class="button danger" href="/admin/users/${user.id}/delete">Delete ${user.name}</a>
    </div>
  </section>`;
  const keys = view.keys ?? [];
  const keysSection = html`<section aria-labelledby="keys-heading">
    <h2 id="keys-heading">API keys</h2>
    ${
      keys.length > 0
        ? dataTable({
            label: `API keys of ${user.name}`,
            columns: ['Name', 'Key', 'Created', 'Last used', ACTION],
            rows: keys.map((key) => keyRow(frame, user.id, key)),
          })
        : html`<p class="empty">No API keys that work.</p>`
    }
  </section>`;
  const entries = view.entries ?? [];
  const audit = html`<section aria-labelledby="audit-heading">
    <h2 id="audit-heading">Recent activity</h2>
    ${
      entries.length > 0
        ? entriesTable(entries, `What ${user.name} did lately`)
        : html`<p class="empty">Nothing in the last 30 days.</p>`
    }
    <p class="links left">
      <a href="/admin/audit?user=${user.id}">All of ${user.name}’s audit entries</a>
    </p>
  </section>`;
  return consolePage(
    frame,
    'people',
    user.name,
    html`<h1>${user.name}</h1>
      ${okNotice(view.notice)} ${errorAlert(view.error)} ${facts} ${edit} ${actions} ${keysSection}
      ${audit}
      <p class="links left"><a href="/admin">Back to people</a></p>`,
  );
}

export function deletePage(frame: Frame, user: User, error?: string): Page {
  return consolePage(
    frame,
    'people',
    `Delete ${user.name}`,
    html`<h1>Delete ${user.name}?</h1>
      ${errorAlert(error)}
      <p>
        <strong>${user.name}</strong> (${user.email}) will lose access to this account at once:
        their API keys, sessions and links stop working. A deleted person cannot be invited again
        with the same email. This cannot be undone.
      </p>
      <form method="post" action="/admin/users/${user.id}/delete">
        ${csrfField(frame.csrf)}
        <div class="actions row">
          <button type="submit" class="danger">Delete ${user.name}</button>
          <a class="button secondary" href="/admin/users/${user.id}">Keep ${user.name}</a>
        </div>
      </form>`,
  );
}

// ---------------------------------------------------------------------------------------
// Audit log

export interface AuditView {
  entries: AuditEntriesTable[];
  /** Who acted, by user id. */
  names: ReadonlyMap<string, string>;
  from: string;
  to: string;
  user: string;
  operationType: string;
  nextHref?: string;
  firstHref?: string;
  error?: string;
  errors?: FieldError[];
}

const OPERATION_TYPE_CHOICES = [
  { value: '', label: 'Any' },
  { value: 'mutation', label: 'Changes' },
  { value: 'query', label: 'Reads' },
];

export function auditPage(frame: Frame, view: AuditView): Page {
  return consolePage(
    frame,
    'audit',
    'Audit log',
    html`<h1>Audit log</h1>
      <p class="lead">Everything changed in this account, through any door, newest first.</p>
      ${errorAlert(view.error)}
      <form method="get" action="/admin/audit" class="filters">
        ${inputField({
          id: 'from',
          label: 'From (UTC day)',
          type: 'date',
          value: view.from,
          problem: problemOf(view.errors, 'start_time'),
        })}
        ${inputField({
          id: 'to',
          label: 'To (UTC day, included)',
          type: 'date',
          value: view.to,
          problem: problemOf(view.errors, 'end_time'),
        })}
        ${inputField({
          id: 'user',
          label: 'User id',
          value: view.user,
          problem: problemOf(view.errors, 'user_id'),
        })}
        ${selectField({
          id: 'type',
          label: 'Operation type',
          options: OPERATION_TYPE_CHOICES,
          selected: view.operationType,
        })}
        <button type="submit" class="inline">Show</button>
      </form>
      <p class="hint">Without a start, the 30 days before the end are shown.</p>
      ${
        view.entries.length > 0
          ? entriesTable(view.entries, 'Audit entries, newest first', view.names)
          : html`<p class="empty">No entries match.</p>`
      }
      <nav class="pager" aria-label="Pages">
        ${view.firstHref ? html`<a href="${view.firstHref}">Newest page</a>` : ''}
        ${view.nextHref ? html`<a href="${view.nextHref}" rel="next">Older entries</a>` : ''}
      </nav>`,
  );
}

// ---------------------------------------------------------------------------------------
// Account

export interface AccountView {
  name: string;
  sso?: SsoSettings;
  redirectUri: string;
  email: UndeliveredEmail[];
  notice?: string;
  error?: string;
  /** Which form the error concerns. */
  errorIn?: 'name' | 'sso' | 'email';
  errors?: FieldError[];
  ssoForm?: { issuer: string; clientId: string; enforced: boolean };
}

export function accountSettingsPage(frame: Frame, view: AccountView): Page {
  const errorIn = (form: AccountView['errorIn']) =>
    view.errorIn === form ? errorAlert(view.error) : '';
  const nameErrors = view.errorIn === 'name' ? view.errors : undefined;
  const ssoErrors = view.errorIn === 'sso' ? view.errors : undefined;
  const sso = view.ssoForm ?? {
    issuer: view.sso?.issuer ?? '',
    clientId: view.sso?.clientId ?? '',
    enforced: view.sso?.enforced ?? false,
  };
  const emailRows = view.email.map(
    (email) =>
      html`<tr>
        <th scope="row">${email.recipient}</th>
        <td>${email.template.replace('_', ' ')}</td>
        <td>
          <span class="badge ${email.status === 'dead' ? 'expired' : 'invited'}"
            >${email.status === 'dead' ? 'Gave up' : email.status === 'processing' ? 'Sending' : 'Waiting'}</span
          >
        </td>
        <td>${email.attempts}</td>
        <td>${email.lastError ?? ''}</td>
        <td>
          ${
            email.status === 'dead'
              ? html`<form method="post" action="/admin/account/email/retry">
                  ${csrfField(frame.csrf)}
                  <input type="hidden" name="id" value="${email.id}" />
                  <button type="submit" class="secondary small">
                    Retry<span class="visually-hidden"> email to ${email.recipient}</span>
                  </button>
                </form>`
              : ''
          }
        </td>
      </tr>`,
  );
  return consolePage(
    frame,
    'account',
    'Account',
    html`<h1>Account</h1>
      ${okNotice(view.notice)}
      <section aria-labelledby="name-heading">
        <h2 id="name-heading">Name</h2>
        ${errorIn('name')}
        <form method="post" action="/admin/account/name" class="narrow">
          ${csrfField(frame.csrf)}
          ${inputField({
            id: 'account-name',
            name: 'name',
            label: 'Account name',
            required: true,
            maxlength: 255,
            value: view.name,
            hint: `Invitees see it: “Join ${view.name}”.`,
            problem: problemOf(nameErrors, 'name'),
          })}
          <button type="submit">Rename</button>
        </form>
      </section>
      <section aria-labelledby="sso-heading">
        <h2 id="sso-heading">Single sign-on</h2>
        ${
          view.sso
            ? html`<p>
                Signing in with <strong>${view.sso.issuer}</strong>, client
                <code>${view.sso.clientId}</code>, secret ending in
                <code>${view.sso.clientSecretLast4}</code>,
                ${view.sso.enforced ? 'enforced (no passwords, but an admin’s break-glass)' : 'not enforced'}.
              </p>`
            : html`<p>Not set up: people sign in with a password.</p>`
        }
        <p class="hint">Give your provider this redirect URI: <code>${view.redirectUri}</code></p>
        ${errorIn('sso')}
        <form method="post" action="/admin/account/sso" class="narrow">
          ${csrfField(frame.csrf)}
          ${inputField({
            id: 'issuer',
            label: 'Issuer URL',
            type: 'url',
            required: true,
            value: sso.issuer,
            problem: problemOf(ssoErrors, 'issuer'),
          })}
          ${inputField({
            id: 'client_id',
            label: 'Client id',
            required: true,
            value: sso.clientId,
            problem: problemOf(ssoErrors, 'client_id'),
          })}
          ${inputField({
            id: 'client_secret',
            label: 'Client secret',
            type: 'password',
            required: true,
            autocomplete: 'off',
            hint: 'Stored encrypted; type it again to change anything here.',
            hintId: 'secret-hint',
            problem: problemOf(ssoErrors, 'client_secret'),
          })}
          ${checkboxField({
            id: 'enforced',
            label: 'Enforced',
            checked: sso.enforced,
            hint: 'Everyone signs in with single sign-on; passwords stop working, but an admin’s.',
          })}
          <button type="submit">Save single sign-on</button>
        </form>
      </section>
      <section aria-labelledby="email-heading">
        <h2 id="email-heading">Email not delivered</h2>
        ${errorIn('email')}
        ${
          view.email.length > 0
            ? dataTable({
                labelledBy: 'email-heading',
                columns: ['To', 'What', 'State', 'Attempts', 'Last error', ACTION],
                rows: emailRows,
              })
            : html`<p class="empty">All email has been delivered.</p>`
        }
      </section>`,
  );
}
