/**
 * The pages, as functions of what they show. Plain HTML forms that work without JavaScript;
 * every input has a label, errors are announced (role="alert") and tied to their field.
 */
import { PASSWORD_MAX, PASSWORD_MIN } from '../auth/password-policy.js';
import type { Session } from '../sessions/service.js';
import { CSRF_FIELD } from './csrf.js';
import { inputField, selectField, type InputField } from './field.js';
import { html, type Html } from '../html.js';
import type { LinkView } from './service.js';
import { STYLESHEET_PATH } from './stylesheet.js';

const PRODUCT = 'Roster';

export interface Page {
  title: string;
  /** Shown at the top of every page: the account the person belongs to, when known. */
  accountName?: string;
  body: Html;
  /** Where the browser goes at once, without JavaScript (a meta refresh). */
  refreshTo?: string;
  /** A wide page (the console's tables) with its navigation under the heading. */
  wide?: boolean;
  nav?: Html;
  /** A script from 'self' that enhances the page (it works without it). */
  script?: string;
}

export function layout(page: Page): string {
  const heading = page.accountName ?? PRODUCT;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        ${page.refreshTo ? html`<meta http-equiv="refresh" content="0; url=${page.refreshTo}" />` : ''}
        <title>${page.title} · ${heading}</title>
        <link rel="stylesheet" href="${STYLESHEET_PATH}" />
      </head>
      <body${page.wide ? html` class="wide"` : ''}>
        <header class="brand">
          <span class="account">${heading}</span>
          ${page.accountName ? html`<span class="product">${PRODUCT}</span>` : ''}
          ${page.nav ?? ''}
        </header>
        <main id="main">${page.body}</main>
        ${page.script ? html`<script src="${page.script}"></script>` : ''}
      </body>
    </html> `.text;
}

export function csrfField(csrf: string): Html {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${csrf}" />`;
}

export function errorAlert(message: string | undefined): Html {
  return message
    ? html`<div class="alert error" role="alert" id="form-error">${message}</div>`
    : html``;
}

function okAlert(message: string | undefined): Html {
  return message ? html`<div class="alert ok" role="status">${message}</div>` : html``;
}

/** `error`: the form's error (#form-error), which concerns the new password. */
function newPasswordFields(error: string | undefined): Html {
  const password = {
    type: 'password',
    autocomplete: 'new-password',
    required: true,
    minlength: PASSWORD_MIN,
    maxlength: PASSWORD_MAX * 2,
  } as const;
  return html`${inputField({
    ...password,
    id: 'password',
    label: 'New password',
    hint: `At least ${PASSWORD_MIN} characters. A few words strung together make a strong, memorable password.`,
    describedBy: error ? ['form-error'] : [],
    invalid: !!error,
  })}
  ${inputField({ ...password, id: 'confirmation', label: 'Confirm new password' })}`;
}

/** A read-only email field, so that password managers file the new password under it. */
function usernameField(email: string): Html {
  return inputField({
    id: 'email',
    name: null,
    label: 'Email',
    type: 'email',
    autocomplete: 'username',
    value: email,
    readonly: true,
  });
}

/** The email a person signs in with, as the sign-in and reset forms ask for it. */
function signInEmailField(more: Pick<InputField, 'value' | 'describedBy'> = {}): Html {
  return inputField({
    id: 'email',
    label: 'Email',
    type: 'email',
    autocomplete: 'username',
    required: true,
    ...more,
  });
}

function loginHref(accountId: string | undefined): string {
  return accountId ? `/login?account=${encodeURIComponent(accountId)}` : '/login';
}

// ---------------------------------------------------------------------------------------

export interface LoginPage {
  csrf: string;
  accountId?: string;
  accountName?: string;
  email?: string;
  error?: string;
  notice?: string;
  /** When the password opened several accounts: the person picks one. */
  accounts?: Array<{ id: string; name: string }>;
  /** Where to go once signed in (a console page that sent the person here). */
  next?: string;
}

export function loginPage(page: LoginPage): Page {
  const chooser = page.accounts
    ? selectField({
        id: 'account',
        label: 'Account',
        required: true,
        options: page.accounts.map((a) => ({ value: a.id, label: a.name })),
        hint: 'Your email is a member of several accounts. Choose one, then enter your password again.',
      })
    : page.accountId
      ? html`<input type="hidden" name="account" value="${page.accountId}" />`
      : html``;
  const forgot = page.accountId
    ? `/password/forgot?account=${encodeURIComponent(page.accountId)}`
    : '/password/forgot';
  return {
    title: 'Sign in',
    accountName: page.accountName,
    body: html`<h1>Sign in</h1>
      ${page.accountName ? html`<p class="lead">to ${page.accountName}</p>` : ''}
      ${okAlert(page.notice)} ${errorAlert(page.error)}
      <form method="post" action="/login">
        ${csrfField(page.csrf)} ${chooser}
        ${page.next ? html`<input type="hidden" name="next" value="${page.next}" />` : ''}
        ${signInEmailField({
          value: page.email ?? '',
          describedBy: page.error ? ['form-error'] : [],
        })}
        ${inputField({
          id: 'password',
          label: 'Password',
          type: 'password',
          autocomplete: 'current-password',
          required: true,
        })}
        <button type="submit">Sign in</button>
        <div class="actions">
          <button type="submit" class="secondary" formaction="/sso/start" formnovalidate>
            Continue with single sign-on
          </button>
        </div>
      </form>
      <p class="links"><a href="${forgot}">Forgot your password?</a></p>`,
  };
}

export const WRONG_CREDENTIALS = 'The email or password is not correct.';
/** A person who must sign in with the account's single sign-on (no password, or it is enforced). */
export const USE_SINGLE_SIGN_ON =
  'This account signs in with single sign-on, not with a password here. Enter your email and choose “Continue with single sign-on”.';
/** A person without a password whose account has no single sign-on set up (yet). */
/** Changing a password one does not have. */
export const NO_PASSWORD_TO_CHANGE =
  'You have no password here: you sign in with single sign-on. Ask an admin of your account for a link to choose a password if you need one.';
export const NO_PASSWORD =
  'This account has no password here, and single sign-on is not set up for it yet. Ask an admin of your account to set up single sign-on or to send you a link to choose a password.';

export function throttledPage(retryAfterMs: number, accountName?: string): Page {
  const minutes = Math.max(1, Math.ceil(retryAfterMs / 60_000));
  return {
    title: 'Too many attempts',
    accountName,
    body: html`<h1>Too many sign-in attempts</h1>
      <p>
        For your security, signing in with this email or from this network is paused for about
        ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}.
      </p>
      <p>If you have forgotten your password, you can reset it now.</p>
      <div class="actions">
        <a class="button" href="/password/forgot">Reset your password</a>
        <a class="button secondary" href="/login">Back to sign in</a>
      </div>`,
  };
}

export function invitationPage(view: LinkView, token: string, csrf: string, error?: string): Page {
  return {
    title: `Join ${view.accountName}`,
    accountName: view.accountName,
    body: html`<h1>Join ${view.accountName}</h1>
      <p class="lead">
        Hello ${view.name}, you have been invited to join <strong>${view.accountName}</strong>.
        Choose a password to finish setting up your account.
      </p>
      ${errorAlert(error)}
      <form method="post" action="/invitations/accept">
        ${csrfField(csrf)}
        <input type="hidden" name="token" value="${token}" />
        ${usernameField(view.email)} ${newPasswordFields(error)}
        <button type="submit">Create my account</button>
      </form>`,
  };
}

export function linkInvalidPage(purpose: 'invitation' | 'password_reset' | 'password_setup'): Page {
  if (purpose === 'password_setup') {
    return {
      title: 'Password link not valid',
      body: html`<h1>This password link is no longer valid</h1>
        <p>
          It may have been used already, replaced by a newer link, or it may have expired (these
          links last 24 hours).
        </p>
        <p>
          If you set your password already, sign in with it. Otherwise ask an admin of your account
          for a new link, or ask whoever runs Roster to make one with
          <code>roster users password-link</code>.
        </p>
        <div class="actions"><a class="button secondary" href="/login">Go to sign in</a></div>`,
    };
  }
  if (purpose === 'invitation') {
    return {
      title: 'Invitation link not valid',
      body: html`<h1>This invitation link is no longer valid</h1>
        <p>
          It may have been used already, replaced by a newer invitation, or it may have expired.
        </p>
        <p>
          Ask an admin of your account to resend your invitation. If you already finished setting up
          your account, sign in instead.
        </p>
        <div class="actions"><a class="button secondary" href="/login">Go to sign in</a></div>`,
    };
  }
  return {
    title: 'Reset link not valid',
    body: html`<h1>This reset link is no longer valid</h1>
      <p>
        It may have been used already, replaced by a newer link, or it may have expired (reset links
        last 30 minutes).
      </p>
      <p>Ask for a new link, or ask an admin of your account to send you one.</p>
      <div class="actions">
        <a class="button" href="/password/forgot">Ask for a new link</a>
        <a class="button secondary" href="/login">Go to sign in</a>
      </div>`,
  };
}

export function forgotPage(csrf: string, accountId?: string, accountName?: string): Page {
  return {
    title: 'Reset your password',
    accountName,
    body: html`<h1>Reset your password</h1>
      <p class="lead">
        Enter the email you sign in with. We will send you a link to choose a new password.
      </p>
      <form method="post" action="/password/forgot">
        ${csrfField(csrf)}
        ${accountId ? html`<input type="hidden" name="account" value="${accountId}" />` : ''}
        ${signInEmailField()}
        <button type="submit">Send reset link</button>
      </form>
      <p class="links"><a href="${loginHref(accountId)}">Back to sign in</a></p>`,
  };
}

export function forgotSentPage(email: string, accountId?: string, accountName?: string): Page {
  return {
    title: 'Check your email',
    accountName,
    body: html`<h1>Check your email</h1>
      <p>
        If <strong>${email}</strong> belongs to an account that signs in with a password, we have
        sent it a link to choose a new password. The link works once and expires in 30 minutes.
      </p>
      <p>
        Nothing arrived? Check your spam folder, make sure the address is the one you sign in with,
        or ask an admin of your account. Accounts that use single sign-on have no password to reset.
      </p>
      <div class="actions">
        <a class="button secondary" href="${loginHref(accountId)}">Back to sign in</a>
      </div>`,
  };
}

/** The page of a link that sets a password: a reset link, or a set-up link (`action`). */
export function resetPage(
  view: LinkView,
  token: string,
  csrf: string,
  error?: string,
  action: '/password/reset' | '/password/setup' = '/password/reset',
): Page {
  return {
    title: 'Choose a new password',
    accountName: view.accountName,
    body: html`<h1>Choose a new password</h1>
      <p class="lead">
        For ${view.name} at ${view.accountName}. You will be signed out everywhere else.
      </p>
      ${errorAlert(error)}
      <form method="post" action="${action}">
        ${csrfField(csrf)}
        <input type="hidden" name="token" value="${token}" />
        ${usernameField(view.email)} ${newPasswordFields(error)}
        <button type="submit">Save password and sign in</button>
      </form>`,
  };
}

export function changePasswordPage(session: Session, csrf: string, error?: string): Page {
  const forced = session.mustChangePassword;
  return {
    title: 'Choose a new password',
    accountName: session.accountName,
    body: html`<h1>${forced ? 'Choose your password' : 'Change your password'}</h1>
      <p class="lead">
        ${
          forced
            ? `You signed in with a temporary password. Choose a password of your own to continue.`
            : `You will stay signed in here and be signed out everywhere else.`
        }
      </p>
      ${errorAlert(error)}
      <form method="post" action="/password/change">
        ${csrfField(csrf)} ${usernameField(session.email)}
        ${
          forced
            ? ''
            : inputField({
                id: 'current',
                label: 'Current password',
                type: 'password',
                autocomplete: 'current-password',
                required: true,
              })
        }
        ${newPasswordFields(error)}
        <button type="submit">Save password</button>
      </form>
      ${forced ? '' : html`<p class="links"><a href="/account">Back to your account</a></p>`}
      <form method="post" action="/logout" class="links">
        ${csrfField(csrf)}
        <button type="submit" class="secondary">Sign out</button>
      </form>`,
  };
}

export function temporaryPasswordExpiredPage(accountName: string): Page {
  return {
    title: 'Temporary password expired',
    accountName,
    body: html`<h1>Your temporary password has expired</h1>
      <p>
        It is no longer valid, so your password could not be set. Ask an admin of ${accountName} to
        invite you again.
      </p>
      <div class="actions"><a class="button secondary" href="/login">Go to sign in</a></div>`,
  };
}

const STATUS_WORDS: Record<string, string> = {
  active: 'Active',
  invited: 'Invited',
  expired: 'Invitation expired',
  inactive: 'Deleted',
};

const ROLE_WORDS: Record<string, string> = {
  admin: 'Admin',
  member: 'Member',
  annotator: 'Annotator',
  custom: 'Custom role',
};

/** Why /account was opened after a redirect, carried as a code (never text from the URL). */
export type AccountNotice =
  'welcome' | 'password-changed' | 'password-reset' | 'password-set' | 'key-revoked';

export function isAccountNotice(value: unknown): value is AccountNotice {
  return (
    value === 'welcome' ||
    value === 'password-changed' ||
    value === 'password-reset' ||
    value === 'password-set' ||
    value === 'key-revoked'
  );
}

const NOTICE_WORDS: Record<Exclude<AccountNotice, 'welcome'>, string> = {
  'password-changed': 'Your password was changed. You were signed out everywhere else.',
  'password-reset': 'Your new password is saved. You were signed out everywhere else.',
  'password-set':
    'Your password is set: from now on you can also sign in with your email and this password.',
  'key-revoked': 'The API key was revoked: it no longer works.',
};

/** `more`: what other parts of the page add below the person (their API keys). */
export function accountPage(
  session: Session,
  csrf: string,
  notice?: AccountNotice,
  more?: Html,
): Page {
  const heading =
    notice === 'welcome'
      ? html`<h1>You’re in</h1>
          <p class="lead">
            Welcome to ${session.accountName}, ${session.name}. Your account is ready.
          </p>`
      : html`<h1>Your account</h1>
          ${notice ? okAlert(NOTICE_WORDS[notice]) : ''}`;
  return {
    title: 'Your account',
    accountName: session.accountName,
    body: html`${heading}
      <dl class="facts">
        <dt>Name</dt>
        <dd>${session.name}</dd>
        <dt>Email</dt>
        <dd>${session.email}</dd>
        <dt>Account</dt>
        <dd>${session.accountName}</dd>
        <dt>Role</dt>
        <dd>${ROLE_WORDS[session.role] ?? session.role}</dd>
        <dt>Status</dt>
        <dd>${STATUS_WORDS[session.status] ?? session.status}</dd>
      </dl>
      <div class="actions">
        ${session.hasPassword ? html`<a class="button secondary" href="/password/change">Change password</a>` : ''}
        <form method="post" action="/logout">
          ${csrfField(csrf)}
          <button type="submit">Sign out</button>
        </form>
      </div>
      ${more ?? ''}`,
  };
}

export function csrfFailedPage(retryHref: string): Page {
  return {
    title: 'Page expired',
    body: html`<h1>This page has expired</h1>
      <p>
        For your security, the form you sent could not be accepted: it was open too long, or it was
        sent from another site. Nothing was changed.
      </p>
      <div class="actions">
        <a class="button" href="${retryHref}">Reload the page and try again</a>
      </div>`,
  };
}

export function errorPage(status: number, requestId: string): Page {
  const clientError = status >= 400 && status < 500;
  return {
    title: clientError ? 'Request not accepted' : 'Something went wrong',
    body: html`<h1>
        ${clientError ? 'This request could not be accepted' : 'Something went wrong'}
      </h1>
      <p>
        ${clientError ? 'Go back and try again.' : 'Please try again in a moment.'} If it keeps
        happening, tell your admin this reference: <code>${requestId}</code>.
      </p>
      <div class="actions"><a class="button secondary" href="/login">Go to sign in</a></div>`,
  };
}

export function notFoundPage(): Page {
  return {
    title: 'Page not found',
    body: html`<h1>There is no page here</h1>
      <p>The address may be mistyped, or the page may have moved.</p>
      <div class="actions"><a class="button secondary" href="/login">Go to sign in</a></div>`,
  };
}

export const SIGNED_OUT = 'You have signed out.';
