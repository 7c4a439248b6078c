/**
 * The API keys part of /account, and the page that shows a new key's secret once. Plain HTML
 * forms that work without JavaScript; the one script (copy-button.ts) only adds a copy button to
 * the secret, which is selectable text with or without it.
 */
import { keyEndsAt } from '../auth/token-rules.js';
import type { ApiKeysTable } from '../db/tables.js';
import { encodeId } from '../http/global-id.js';
import { isoTime } from '../http/time.js';
import { html, type Html } from '../html.js';
import { KEY_DESCRIPTION_MAX, KEY_NAME_MAX } from '../api-keys/service.js';
import type { Session } from '../sessions/service.js';
import { COPY_SCRIPT_PATH, copyButton } from './copy-button.js';
import { CSRF_FIELD } from './csrf.js';
import { inputField, selectField } from './field.js';
import { KEY_EXPIRY_CHOICES } from './key-expiry.js';
import type { OwnKeys } from './account-keys.js';
import type { Page } from './pages.js';

function csrfField(csrf: string): Html {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${csrf}" />`;
}

function when(ms: number): Html {
  const iso = isoTime(ms);
  return html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;
}

function expiry(key: ApiKeysTable, now: number): Html {
  const ends = keyEndsAt(key);
  if (ends === null) return html`Never`;
  return ends <= now ? html`Expired ${when(ends)}` : when(ends);
}

/** What was typed in the create form, kept when the form comes back with a problem. */
export interface KeyForm {
  name: string;
  description: string;
  expires: string;
}

export const EMPTY_KEY_FORM: KeyForm = { name: '', description: '', expires: '' };

function keyItem(key: ApiKeysTable, csrf: string, now: number): Html {
  const id = encodeId('ApiKey', key.id);
  const named = html`<span class="visually-hidden"> ${key.name}</span>`;
  return html`<li class="key">
    <h3>${key.name}</h3>
    ${key.description ? html`<p class="hint">${key.description}</p>` : ''}
    <dl class="facts">
      <dt>Key</dt>
      <dd><code>${key.redacted_key}</code></dd>
      <dt>Created</dt>
      <dd>${when(key.created_at)}</dd>
      <dt>Last used</dt>
      <dd>${key.last_used_at !== null ? when(key.last_used_at) : 'Never'}</dd>
      <dt>Expires</dt>
      <dd>${expiry(key, now)}</dd>
    </dl>
    <div class="key-actions">
      <form method="post" action="/account/api-keys/refresh">
        ${csrfField(csrf)}
        <input type="hidden" name="id" value="${id}" />
        <button type="submit" class="secondary">Refresh${named}</button>
      </form>
      <form method="post" action="/account/api-keys/revoke">
        ${csrfField(csrf)}
        <input type="hidden" name="id" value="${id}" />
        <button type="submit" class="danger">Revoke${named}</button>
      </form>
    </div>
  </li>`;
}

/** `refused`: the form came back with the problem shown above it (#key-error). */
function createForm(csrf: string, form: KeyForm, refused: boolean): Html {
  return html`<h3 id="new-key-heading">Create an API key</h3>
    <form method="post" action="/account/api-keys" aria-labelledby="new-key-heading">
      ${csrfField(csrf)}
      ${inputField({
        id: 'key-name',
        name: 'name',
        label: 'Name',
        required: true,
        maxlength: KEY_NAME_MAX,
        value: form.name,
        hint: 'Say where it is used, such as “nightly sync”.',
        describedBy: refused ? ['key-error'] : [],
        invalid: refused,
      })}
      ${inputField({
        id: 'key-description',
        name: 'description',
        label: 'Description (optional)',
        maxlength: KEY_DESCRIPTION_MAX,
        value: form.description,
      })}
      ${selectField({
        id: 'key-expires',
        name: 'expires',
        label: 'Expires',
        options: KEY_EXPIRY_CHOICES,
        selected: form.expires,
      })}
      <button type="submit">Create API key</button>
    </form>`;
}

/** The API keys section of /account: the list and the create form, or why there are none. */
export function keysSection(input: {
  session: Session;
  csrf: string;
  keys: OwnKeys;
  now: number;
  form?: KeyForm;
  error?: string;
}): Html {
  const { session, csrf, keys } = input;
  const heading = html`<h2 id="keys-heading">API keys</h2>
    ${
      input.error
        ? html`<div class="alert error" role="alert" id="key-error">${input.error}</div>`
        : ''
    }`;
  if (keys.kind === 'not-developer') {
    return html`<section class="keys" aria-labelledby="keys-heading">
      ${heading}
      <p>
        You cannot have API keys: your user in ${session.accountName} is not a developer, and only
        developers may use the API. If you need one, ask an admin of ${session.accountName} to make
        you a developer.
      </p>
    </section>`;
  }
  const list =
    keys.keys.length > 0
      ? html`<ul class="key-list">
          ${keys.keys.map((key) => keyItem(key, csrf, input.now))}
        </ul>`
      : html`<p>You have no API keys yet.</p>`;
  return html`<section class="keys" aria-labelledby="keys-heading">
    ${heading}
    <p class="lead">
      A key lets a script call the Roster API as you. Refreshing a key replaces its secret; revoking
      it stops it at once.
    </p>
    ${list}
    ${keys.more ? html`<p class="hint">Showing your ${keys.keys.length} oldest keys.</p>` : ''}
    ${createForm(csrf, input.form ?? EMPTY_KEY_FORM, input.form !== undefined && !!input.error)}
  </section>`;
}

/** The one page that shows a key's secret: created or refreshed, shown once. */
export function newKeyPage(input: {
  session: Session;
  key: ApiKeysTable;
  secret: string;
  refreshed: boolean;
}): Page {
  const { session, key, secret } = input;
  return {
    title: input.refreshed ? 'API key refreshed' : 'API key created',
    accountName: session.accountName,
    body: html`<h1>${input.refreshed ? 'Your refreshed API key' : 'Your new API key'}</h1>
      <p class="lead">
        ${
          input.refreshed
            ? html`<strong>${key.name}</strong> has a new secret; the old one no longer works.`
            : html`<strong>${key.name}</strong> is ready.`
        }
        Copy the key now: it is shown only this once.
      </p>
      <div class="field">
        <span class="label">API key</span>
        <code class="secret" id="secret">${secret}</code>
        <span class="hint">Click the key to select all of it, then copy it.</span>
      </div>
      ${copyButton({ source: 'secret', label: 'Copy the key', noun: 'the key' })}
      <div class="actions">
        <a class="button" href="/account">Back to your account</a>
      </div>
      <script src="${COPY_SCRIPT_PATH}"></script>`,
  };
}
