/** The pages of signing in through single sign-on, as functions of what they show. */
import { html } from '../html.js';
import { csrfField, errorAlert, type Page } from '../self-service/pages.js';
import type { SsoRefusalReason } from './sign-in.js';

/**
 * On the way to the provider. A page that moves on by itself (a meta refresh, no script)
 * rather than a redirect answering the form: Chromium applies the sign-in page's form-action
 * policy to every redirect that follows a form post, and that policy stays 'self'.
 */
export function ssoRedirectPage(url: string, accountName: string): Page {
  return {
    title: 'Continuing to single sign-on',
    accountName,
    refreshTo: url,
    body: html`<h1>Continuing to single sign-on</h1>
      <p class="lead">You are being taken to the identity provider of ${accountName}.</p>
      <div class="actions"><a class="button" href="${url}">Continue</a></div>`,
  };
}

/** The email is a user of several accounts with single sign-on: the person chooses. */
export function ssoChooseAccountPage(
  csrf: string,
  email: string,
  accounts: ReadonlyArray<{ id: string; name: string }>,
): Page {
  return {
    title: 'Choose an account',
    body: html`<h1>Choose an account</h1>
      <p class="lead">${email} signs in with single sign-on to several accounts.</p>
      <form method="post" action="/sso/start">
        ${csrfField(csrf)}
        <input type="hidden" name="email" value="${email}" />
        <div class="field">
          <label for="account">Account</label>
          <select id="account" name="account" required>
            ${accounts.map((a) => html`<option value="${a.id}">${a.name}</option>`)}
          </select>
        </div>
        <button type="submit">Continue with single sign-on</button>
      </form>
      <p class="links"><a href="/login">Back to sign in</a></p>`,
  };
}

export const SSO_UNKNOWN_EMAIL =
  'No account signs in this email with single sign-on. Check the address, or sign in with your password.';

const REFUSALS: Record<SsoRefusalReason, { status: number; heading: string; text: string }> = {
  state: {
    status: 400,
    heading: 'This sign-in has expired',
    text: 'It was used already, started in another browser or tab, or took longer than 10 minutes. Nothing was changed. Start again from the sign-in page.',
  },
  'provider-error': {
    status: 401,
    heading: 'Your identity provider did not sign you in',
    text: 'The sign-in was cancelled or refused at your identity provider. Nothing was changed.',
  },
  'not-verified': {
    status: 401,
    heading: 'Your sign-in could not be verified',
    text: 'The answer from your identity provider did not pass Roster’s checks (its signature, audience, expiry or one-time values), so you were not signed in and nothing was changed. If this keeps happening, tell an admin of your account.',
  },
  'provider-unreachable': {
    status: 502,
    heading: 'Your identity provider could not be reached',
    text: 'Roster could not finish signing you in with your identity provider. Nothing was changed. Try again in a moment.',
  },
  'email-missing': {
    status: 403,
    heading: 'Your identity provider did not share your email',
    text: 'Roster finds you by your email, and your identity provider did not send one. Nothing was changed. Ask an admin of your account to let the provider share the email scope.',
  },
  'email-unverified': {
    status: 403,
    heading: 'Your email is not verified',
    text: 'Your identity provider does not vouch for your email address (email_verified is not true), so Roster cannot sign you in with it. Nothing was changed. Verify the address with your identity provider, then try again.',
  },
  'no-user': {
    status: 403,
    heading: 'You are not a member of this account',
    text: 'Your identity provider signed you in, but no member of this account has that email. Signing in never creates a member: ask an admin of the account to invite you.',
  },
  'invitation-expired': {
    status: 403,
    heading: 'Your invitation has expired',
    text: 'Ask an admin of your account to invite you again, then sign in with single sign-on.',
  },
  'no-provider': {
    status: 400,
    heading: 'Single sign-on is no longer set up',
    text: 'The account’s single sign-on was removed or changed while you were signing in. Nothing was changed. Sign in again, or ask an admin of your account.',
  },
};

export function ssoRefusalStatus(reason: SsoRefusalReason): number {
  return REFUSALS[reason].status;
}

export function ssoRefusedPage(reason: SsoRefusalReason, accountName?: string): Page {
  const { heading, text } = REFUSALS[reason];
  return {
    title: 'Not signed in',
    accountName,
    body: html`<h1>${heading}</h1>
      ${errorAlert(text)}
      <div class="actions"><a class="button secondary" href="/login">Back to sign in</a></div>`,
  };
}

/** The account's provider is set up but its secret cannot be read (the server secret changed). */
export function ssoUnavailablePage(accountName: string): Page {
  return {
    title: 'Single sign-on unavailable',
    accountName,
    body: html`<h1>Single sign-on is unavailable</h1>
      <p>
        Single sign-on for ${accountName} needs to be set up again by an admin (its client secret
        can no longer be read). Sign in with your password if you have one.
      </p>
      <div class="actions"><a class="button secondary" href="/login">Back to sign in</a></div>`,
  };
}
