/**
 * The invited person's pages, as one encapsulated Fastify plugin: form and cookie parsing,
 * security headers, the session, CSRF checks and the forced password change apply here only,
 * so the /v2 API keeps its JSON-only rules. Routes translate HTTP <-> service calls.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import cookie from '@fastify/cookie';
import type { Deps } from '../deps.js';
import { isRowId } from '../db/ids.js';
import { endSession, resumeSession, signOut, type Session } from '../sessions/service.js';
import { pageOrigin, type Origin } from '../audit/origin.js';
import { SESSION_ABSOLUTE_MS } from '../sessions/rules.js';
import { csrfToken, CSRF_FIELD, isValidCsrfToken, newCsrfCookie } from './csrf.js';
import { DEVICE_COOKIE_MAX_AGE_S } from './device.js';
import * as pages from './pages.js';
import * as service from './service.js';
import { findAccountName } from './store.js';
import { STYLESHEET, STYLESHEET_PATH } from './stylesheet.js';
import { unstorableField } from '../text.js';
import { DomainError, Invalid } from '../errors.js';
import { domainErrorStatus } from '../http/problem.js';
import type { ApiKeysTable } from '../db/tables.js';
import * as accountKeys from './account-keys.js';
import { keyExpiresAt } from './key-expiry.js';
import * as keyPages from './key-pages.js';
import { COPY_SCRIPT, COPY_SCRIPT_PATH } from './copy-button.js';
import { completePasswordSetup, viewPasswordSetup } from './password-setup.js';
import { finishSsoSignIn, startSsoSignIn } from '../sso/sign-in.js';
import { SSO_LOGIN_TTL_MS } from '../sso/rules.js';
import * as ssoPages from '../sso/pages.js';

declare module 'fastify' {
  interface FastifyRequest {
    web?: WebContext;
  }
}

interface WebContext {
  session: Session | undefined;
  /** The browser's CSRF cookie (set on this response when it had none). */
  csrfCookie: string;
  /** Whether the browser sent that cookie: a form post without it is refused. */
  csrfCookieSent: boolean;
}

/** What other page plugins registered inside this one (the console) use of its session and forms. */
export interface WebAccess {
  session(request: FastifyRequest): Session | undefined;
  /** The CSRF token a form of this page carries. */
  csrf(request: FastifyRequest): string;
  show(reply: FastifyReply, page: pages.Page, status?: number): FastifyReply;
}

export interface PagesOptions {
  deps: Deps;
  web: WebAccess;
}

export interface SelfServiceOptions {
  deps: Deps;
  /**
   * More pages, registered inside this plugin so that its cookies, session, CSRF check and
   * headers apply to them too (app.ts passes the console).
   */
  pages?: FastifyPluginAsync<PagesOptions>[];
}

/** The pages' Content-Security-Policy; a page that runs its script adds script-src 'self'. */
export const PAGE_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/**
 * Where /login sends a person after signing in, when a console page sent them there: a path
 * under /admin, never another site (no `//`, no scheme).
 */
export function safeNext(value: string): string | undefined {
  return /^\/admin(?:[/?][A-Za-z0-9_\-./?=&%+]*)?$/.test(value) && !value.includes('//')
    ? value
    : undefined;
}

const SECURITY_HEADERS = {
  'content-security-policy': PAGE_CSP,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** While a temporary password must be replaced, these are the only places a session may go. */
const FORCED_CHANGE_ALLOWS = new Set(['/password/change', '/logout', STYLESHEET_PATH]);

function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

/**
 * How a form post came in, for its audit entry: the fields named (those named as secrets are
 * written as "[redacted]", audit/rules.ts), never the whole form.
 */
function formOrigin(request: FastifyRequest, fields: readonly string[]): Origin {
  const variables = Object.fromEntries(fields.map((name) => [name, field(request.body, name)]));
  return pageOrigin(request, variables);
}

function query(request: FastifyRequest, name: string): string {
  return field(request.query, name);
}

function accountParam(value: string): string | undefined {
  return isRowId(value) ? value : undefined;
}

/**
 * A link that cannot be used (unknown, used, replaced, expired, or its person deleted) is gone:
 * one page and one status for every case, so the answer tells nothing about which.
 */
const LINK_GONE = 410;

function show(reply: FastifyReply, page: pages.Page, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(pages.layout(page));
}

export const selfServicePages: FastifyPluginAsync<SelfServiceOptions> = async (
  app,
  { deps, pages: morePages = [] },
) => {
  await app.register(formbody, { bodyLimit: 16 * 1024 });
  await app.register(cookie);

  const secure = new URL(deps.config.publicUrl).protocol === 'https:';
  // The __Host- prefix makes the browser refuse these cookies unless Secure, host-only, Path=/.
  const prefix = secure ? '__Host-' : '';
  const names = {
    session: `${prefix}roster_session`,
    csrf: `${prefix}roster_csrf`,
    device: `${prefix}roster_device`,
    ssoState: `${prefix}roster_sso`,
  };
  const cookieOptions = { httpOnly: true, sameSite: 'lax', secure, path: '/' } as const;

  const web = (request: FastifyRequest): WebContext => request.web!;
  const csrf = (request: FastifyRequest) =>
    csrfToken(deps.serverSecret, web(request).csrfCookie, web(request).session?.id);

  function startBrowserSession(reply: FastifyReply, signedIn: service.SignedIn) {
    reply.setCookie(names.session, signedIn.sessionToken, {
      ...cookieOptions,
      maxAge: SESSION_ABSOLUTE_MS / 1000,
    });
    reply.setCookie(names.device, signedIn.deviceCookie, {
      ...cookieOptions,
      maxAge: DEVICE_COOKIE_MAX_AGE_S,
    });
  }

  async function endBrowserSession(request: FastifyRequest, reply: FastifyReply) {
    const session = web(request).session;
    if (session) await endSession(deps, session.id);
    reply.clearCookie(names.session, cookieOptions);
  }

  app.addHook('onRequest', async (request, reply) => {
    reply.headers(SECURITY_HEADERS);
    const path = request.url.split('?')[0] ?? '';
    if (path === STYLESHEET_PATH || path === COPY_SCRIPT_PATH) return;
    const sent = request.cookies[names.csrf];
    const csrfCookieSent = typeof sent === 'string' && /^[A-Za-z0-9_-]{22}$/.test(sent);
    const csrfCookie = csrfCookieSent ? sent : newCsrfCookie();
    if (!csrfCookieSent) reply.setCookie(names.csrf, csrfCookie, cookieOptions);
    const token = request.cookies[names.session];
    const session = token ? await resumeSession(deps, token) : undefined;
    if (token && !session) reply.clearCookie(names.session, cookieOptions);
    request.web = { session, csrfCookie, csrfCookieSent };
    if (session?.mustChangePassword && !FORCED_CHANGE_ALLOWS.has(path)) {
      return reply.redirect('/password/change', 303);
    }
  });

  // A form field or query parameter the databases cannot store (NUL, a lone surrogate) is
  // refused before anything reads it: the same 400 on SQLite and PostgreSQL.
  app.addHook('preValidation', async (request, reply) => {
    if (unstorableField(request.query) === undefined && unstorableField(request.body) === undefined)
      return;
    return show(reply, pages.errorPage(400, request.id), 400);
  });

  // Every form post carries the CSRF token of this browser and session.
  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST') return;
    const context = web(request);
    const given = field(request.body, CSRF_FIELD);
    const crossSite = request.headers['sec-fetch-site'] === 'cross-site';
    if (
      !crossSite &&
      context.csrfCookieSent &&
      isValidCsrfToken(deps.serverSecret, context.csrfCookie, context.session?.id, given)
    ) {
      return;
    }
    const path = request.url.split('?')[0] ?? '/';
    const token = field(request.body, 'token');
    const retry =
      path === '/logout' || path.startsWith('/account/')
        ? '/account'
        : path.startsWith('/admin')
          ? '/admin'
          : token
            ? `${path}?token=${encodeURIComponent(token)}`
            : path;
    return show(reply, pages.csrfFailedPage(retry), 403);
  });

  app.setErrorHandler((error: { statusCode?: number }, request, reply) => {
    const status =
      error.statusCode && error.statusCode >= 400 && error.statusCode < 500
        ? error.statusCode
        : 500;
    if (status === 500) request.log.error({ err: error }, 'unexpected error on a web page');
    return show(reply, pages.errorPage(status, request.id), status);
  });

  app.get(STYLESHEET_PATH, { schema: { hide: true } }, async (_request, reply) =>
    reply
      .header('cache-control', 'public, max-age=3600')
      .type('text/css; charset=utf-8')
      .send(STYLESHEET),
  );

  app.get(COPY_SCRIPT_PATH, { schema: { hide: true } }, async (_request, reply) =>
    reply
      .header('cache-control', 'public, max-age=3600')
      .type('text/javascript; charset=utf-8')
      .send(COPY_SCRIPT),
  );

  app.get('/', { schema: { hide: true } }, async (request, reply) =>
    reply.redirect(web(request).session ? '/account' : '/login', 303),
  );

  // -------------------------------------------------------------------------------------
  // Sign in, sign out

  /** The account a page names (?account=), when it exists; otherwise neither id nor name. */
  async function knownAccount(value: string) {
    const accountId = accountParam(value);
    const accountName = accountId ? await findAccountName(deps.db.kysely, accountId) : undefined;
    return accountName ? { accountId, accountName } : { accountId: undefined, accountName };
  }

  app.get('/login', { schema: { hide: true } }, async (request, reply) => {
    const next = safeNext(query(request, 'next'));
    if (web(request).session) return reply.redirect(next ?? '/account', 303);
    const { accountId, accountName } = await knownAccount(query(request, 'account'));
    const notice = query(request, 'signed_out') ? pages.SIGNED_OUT : undefined;
    return show(
      reply,
      pages.loginPage({ csrf: csrf(request), accountId, accountName, notice, next }),
    );
  });

  app.post('/login', { schema: { hide: true } }, async (request, reply) => {
    const email = field(request.body, 'email');
    const accountId = accountParam(field(request.body, 'account'));
    const accountName = accountId ? await findAccountName(deps.db.kysely, accountId) : undefined;
    const result = await service.signIn(deps, {
      email,
      password: field(request.body, 'password'),
      accountId,
      ip: request.ip,
      deviceCookie: request.cookies[names.device],
      previousSessionId: web(request).session?.id,
      origin: formOrigin(request, ['email', 'password', 'account']),
    });
    const next = safeNext(field(request.body, 'next'));
    const again = (extra: Partial<pages.LoginPage>) =>
      pages.loginPage({
        csrf: csrf(request),
        next,
        accountId: accountName ? accountId : undefined,
        accountName,
        email: email.slice(0, 320),
        ...extra,
      });
    switch (result.kind) {
      case 'signed-in':
        if (result.breakGlass) {
          request.log.warn(
            { account_id: result.accountId, user_id: result.breakGlass.userId },
            'break-glass: an admin signed in with a password while single sign-on is enforced',
          );
        }
        startBrowserSession(reply, result);
        return reply.redirect(
          result.mustChangePassword ? '/password/change' : (next ?? '/account'),
          303,
        );
      case 'wrong':
        return show(reply, again({ error: pages.WRONG_CREDENTIALS }), 401);
      case 'sso':
        return show(
          reply,
          again({ error: result.configured ? pages.USE_SINGLE_SIGN_ON : pages.NO_PASSWORD }),
          401,
        );
      case 'choose-account':
        return show(reply, again({ accounts: result.accounts }));
      case 'throttled':
        reply.header('retry-after', String(Math.ceil(result.retryAfterMs / 1000)));
        return show(reply, pages.throttledPage(result.retryAfterMs, accountName), 429);
    }
  });

  app.post('/logout', { schema: { hide: true } }, async (request, reply) => {
    const session = web(request).session;
    const accountId = session?.accountId;
    if (session) await signOut(deps, session, pageOrigin(request));
    reply.clearCookie(names.session, cookieOptions);
    const account = accountId ? `account=${accountId}&` : '';
    return reply.redirect(`/login?${account}signed_out=1`, 303);
  });

  // -------------------------------------------------------------------------------------
  // Single sign-on (sso/sign-in.ts): the email leads to the account's provider; the provider
  // sends the browser back to /sso/callback. This browser carries the state it set off with
  // (an HttpOnly cookie), so a callback started in another browser is refused.

  app.post('/sso/start', { schema: { hide: true } }, async (request, reply) => {
    const email = field(request.body, 'email').slice(0, 320);
    const accountId = accountParam(field(request.body, 'account'));
    const result = await startSsoSignIn(deps, { email, accountId, ip: request.ip });
    switch (result.kind) {
      case 'redirect':
        reply.setCookie(names.ssoState, result.state, {
          ...cookieOptions,
          maxAge: SSO_LOGIN_TTL_MS / 1000,
        });
        return show(reply, ssoPages.ssoRedirectPage(result.url, result.accountName));
      case 'choose-account':
        return show(reply, ssoPages.ssoChooseAccountPage(csrf(request), email, result.accounts));
      case 'unknown': {
        const accountName = accountId
          ? await findAccountName(deps.db.kysely, accountId)
          : undefined;
        const page = pages.loginPage({
          csrf: csrf(request),
          accountId: accountName ? accountId : undefined,
          accountName,
          email,
          error: ssoPages.SSO_UNKNOWN_EMAIL,
        });
        return show(reply, page, 422);
      }
      case 'throttled':
        reply.header('retry-after', String(Math.ceil(result.retryAfterMs / 1000)));
        return show(reply, pages.throttledPage(result.retryAfterMs), 429);
      case 'unavailable':
        request.log.error('single sign-on: the client secret of an account cannot be opened');
        return show(reply, ssoPages.ssoUnavailablePage(result.accountName), 503);
    }
  });

  app.get('/sso/callback', { schema: { hide: true } }, async (request, reply) => {
    const browserState = request.cookies[names.ssoState];
    reply.clearCookie(names.ssoState, cookieOptions);
    const at = request.url.indexOf('?');
    const result = await finishSsoSignIn(deps, {
      query: at >= 0 ? request.url.slice(at + 1) : '',
      browserState,
      previousSessionId: web(request).session?.id,
      origin: pageOrigin(request),
    });
    if (result.kind === 'refused') {
      request.log.warn({ reason: result.reason, detail: result.detail }, 'single sign-on refused');
      return show(
        reply,
        ssoPages.ssoRefusedPage(result.reason, result.accountName),
        ssoPages.ssoRefusalStatus(result.reason),
      );
    }
    startBrowserSession(reply, result);
    return reply.redirect(result.finishedInvitation ? '/account?notice=welcome' : '/account', 303);
  });

  // -------------------------------------------------------------------------------------
  // Invitation links

  app.get('/invitations/accept', { schema: { hide: true } }, async (request, reply) => {
    const token = query(request, 'token');
    const view = await service.viewInvitation(deps, token);
    if (!view) return show(reply, pages.linkInvalidPage('invitation'), LINK_GONE);
    return show(reply, pages.invitationPage(view, token, csrf(request)));
  });

  app.post('/invitations/accept', { schema: { hide: true } }, async (request, reply) => {
    const token = field(request.body, 'token');
    const result = await service.acceptInvitation(deps, {
      token,
      password: field(request.body, 'password'),
      confirmation: field(request.body, 'confirmation'),
      origin: formOrigin(request, ['token', 'password', 'confirmation']),
    });
    if (result.kind === 'invalid')
      return show(reply, pages.linkInvalidPage('invitation'), LINK_GONE);
    if (result.kind === 'retry') {
      return show(
        reply,
        pages.invitationPage(result.view, token, csrf(request), result.problem),
        422,
      );
    }
    await endBrowserSession(request, reply);
    startBrowserSession(reply, result);
    return reply.redirect('/account?notice=welcome', 303);
  });

  // -------------------------------------------------------------------------------------
  // Forgotten password and reset links

  app.get('/password/forgot', { schema: { hide: true } }, async (request, reply) => {
    const { accountId, accountName } = await knownAccount(query(request, 'account'));
    return show(reply, pages.forgotPage(csrf(request), accountId, accountName));
  });

  app.post('/password/forgot', { schema: { hide: true } }, async (request, reply) => {
    const email = field(request.body, 'email').trim().slice(0, 320);
    const { accountId, accountName } = await knownAccount(field(request.body, 'account'));
    // Answered before the work is done, so the response time says nothing about the address.
    const origin = formOrigin(request, ['email', 'account']);
    service.requestPasswordReset(deps, { email, accountId, origin }).catch((error: unknown) => {
      request.log.error({ err: error }, 'could not queue a password reset');
    });
    return show(reply, pages.forgotSentPage(email, accountId, accountName));
  });

  app.get('/password/reset', { schema: { hide: true } }, async (request, reply) => {
    const token = query(request, 'token');
    const view = await service.viewPasswordReset(deps, token);
    if (!view) return show(reply, pages.linkInvalidPage('password_reset'), LINK_GONE);
    return show(reply, pages.resetPage(view, token, csrf(request)));
  });

  app.post('/password/reset', { schema: { hide: true } }, async (request, reply) => {
    const token = field(request.body, 'token');
    const result = await service.completePasswordReset(deps, {
      token,
      password: field(request.body, 'password'),
      confirmation: field(request.body, 'confirmation'),
      origin: formOrigin(request, ['token', 'password', 'confirmation']),
    });
    if (result.kind === 'invalid')
      return show(reply, pages.linkInvalidPage('password_reset'), LINK_GONE);
    if (result.kind === 'retry') {
      return show(reply, pages.resetPage(result.view, token, csrf(request), result.problem), 422);
    }
    await endBrowserSession(request, reply);
    startBrowserSession(reply, result);
    return reply.redirect('/account?notice=password-reset', 303);
  });

  // -------------------------------------------------------------------------------------
  // Signed in

  app.get('/password/change', { schema: { hide: true } }, async (request, reply) => {
    const session = web(request).session;
    if (!session) return reply.redirect('/login', 303);
    return show(reply, pages.changePasswordPage(session, csrf(request)));
  });

  app.post('/password/change', { schema: { hide: true } }, async (request, reply) => {
    const session = web(request).session;
    if (!session) return reply.redirect('/login', 303);
    const result = await service.changePassword(deps, session, {
      current: field(request.body, 'current'),
      password: field(request.body, 'password'),
      confirmation: field(request.body, 'confirmation'),
      origin: formOrigin(request, ['current', 'password', 'confirmation']),
    });
    switch (result.kind) {
      case 'signed-in':
        startBrowserSession(reply, result);
        return reply.redirect(
          `/account?notice=${session.mustChangePassword ? 'welcome' : 'password-changed'}`,
          303,
        );
      case 'retry':
        return show(reply, pages.changePasswordPage(session, csrf(request), result.problem), 422);
      case 'no-password':
        return show(
          reply,
          pages.changePasswordPage(session, csrf(request), pages.NO_PASSWORD_TO_CHANGE),
          400,
        );
      case 'throttled':
        reply.header('retry-after', String(Math.ceil(result.retryAfterMs / 1000)));
        return show(reply, pages.throttledPage(result.retryAfterMs, session.accountName), 429);
      case 'temporary-password-expired':
        await endBrowserSession(request, reply);
        return show(reply, pages.temporaryPasswordExpiredPage(session.accountName), 400);
    }
  });

  // -------------------------------------------------------------------------------------
  // Password set-up links (roster bootstrap, roster users password-link)

  app.get('/password/setup', { schema: { hide: true } }, async (request, reply) => {
    const token = query(request, 'token');
    const view = await viewPasswordSetup(deps, token);
    if (!view) return show(reply, pages.linkInvalidPage('password_setup'), LINK_GONE);
    return show(reply, pages.resetPage(view, token, csrf(request), undefined, '/password/setup'));
  });

  app.post('/password/setup', { schema: { hide: true } }, async (request, reply) => {
    const token = field(request.body, 'token');
    const result = await completePasswordSetup(deps, {
      token,
      password: field(request.body, 'password'),
      confirmation: field(request.body, 'confirmation'),
      origin: formOrigin(request, ['token', 'password', 'confirmation']),
    });
    if (result.kind === 'invalid')
      return show(reply, pages.linkInvalidPage('password_setup'), LINK_GONE);
    if (result.kind === 'retry') {
      const page = pages.resetPage(
        result.view,
        token,
        csrf(request),
        result.problem,
        '/password/setup',
      );
      return show(reply, page, 422);
    }
    await endBrowserSession(request, reply);
    startBrowserSession(reply, result);
    return reply.redirect('/account?notice=password-set', 303);
  });

  // -------------------------------------------------------------------------------------
  // The signed-in person's page, with their API keys

  async function showAccount(
    request: FastifyRequest,
    reply: FastifyReply,
    session: Session,
    options: { notice?: pages.AccountNotice; form?: keyPages.KeyForm; refused?: DomainError } = {},
  ) {
    const keys = await accountKeys.ownKeys(deps, session, pageOrigin(request));
    const section = keyPages.keysSection({
      session,
      csrf: csrf(request),
      keys,
      now: deps.clock(),
      form: options.form,
      error: options.refused?.message,
    });
    const page = pages.accountPage(session, csrf(request), options.notice, section);
    return show(reply, page, options.refused ? domainErrorStatus(options.refused) : 200);
  }

  /** The one page that shows a key's secret; it alone may run the copy button's script. */
  function showSecret(
    reply: FastifyReply,
    session: Session,
    made: { row: ApiKeysTable; secret: string },
    refreshed: boolean,
  ) {
    reply.header(
      'content-security-policy',
      `${SECURITY_HEADERS['content-security-policy']}; script-src 'self'`,
    );
    const page = keyPages.newKeyPage({ session, key: made.row, secret: made.secret, refreshed });
    return show(reply, page);
  }

  /** Runs a key action for the signed-in person; a refusal shows /account with its reason. */
  function keyAction(
    work: (session: Session, request: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
    form?: (request: FastifyRequest) => keyPages.KeyForm,
  ) {
    return async (request: FastifyRequest, reply: FastifyReply) => {
      const session = web(request).session;
      if (!session) return reply.redirect('/login', 303);
      try {
        return await work(session, request, reply);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        return showAccount(request, reply, session, { refused: error, form: form?.(request) });
      }
    };
  }

  app.get('/account', { schema: { hide: true } }, async (request, reply) => {
    const session = web(request).session;
    if (!session) return reply.redirect('/login', 303);
    const notice = query(request, 'notice');
    return showAccount(request, reply, session, {
      notice: pages.isAccountNotice(notice) ? notice : undefined,
    });
  });

  const keyForm = (request: FastifyRequest): keyPages.KeyForm => ({
    name: field(request.body, 'name').slice(0, 1000),
    description: field(request.body, 'description').slice(0, 2000),
    expires: field(request.body, 'expires').slice(0, 10),
  });

  app.post(
    '/account/api-keys',
    { schema: { hide: true } },
    keyAction(async (session, request, reply) => {
      const form = keyForm(request);
      const expiresAt = keyExpiresAt(form.expires, deps.clock());
      if (expiresAt === 'unknown') throw new Invalid('Choose when the key expires from the list');
      const made = await accountKeys.createOwnKey(
        deps,
        session,
        {
          name: field(request.body, 'name'),
          description: field(request.body, 'description'),
          expiresAt,
        },
        formOrigin(request, ['name', 'description', 'expires']),
      );
      return showSecret(reply, session, made, false);
    }, keyForm),
  );

  app.post(
    '/account/api-keys/refresh',
    { schema: { hide: true } },
    keyAction(async (session, request, reply) => {
      const made = await accountKeys.refreshOwnKey(
        deps,
        session,
        field(request.body, 'id'),
        formOrigin(request, ['id']),
      );
      return showSecret(reply, session, made, true);
    }),
  );

  app.post(
    '/account/api-keys/revoke',
    { schema: { hide: true } },
    keyAction(async (session, request, reply) => {
      await accountKeys.revokeOwnKey(
        deps,
        session,
        field(request.body, 'id'),
        formOrigin(request, ['id']),
      );
      return reply.redirect('/account?notice=key-revoked', 303);
    }),
  );

  const access: WebAccess = { session: (request) => web(request).session, csrf, show };
  for (const plugin of morePages) await app.register(plugin, { deps, web: access });
};
