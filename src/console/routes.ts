/**
 * The admin console at /admin: routes that translate HTTP <-> the use cases of the API, with
 * the signed-in person as the caller (access.ts). Registered inside the pages' plugin
 * (self-service/routes.ts), whose session, CSRF check and headers apply here too.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { pageOrigin } from '../audit/origin.js';
import { listAuditLogs, lastSignIn, DAY_MS } from '../audit/service.js';
import { listKeys, revokeKey } from '../api-keys/service.js';
import { renameOwnAccount } from '../accounts/service.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { isRowId } from '../db/ids.js';
import { Conflict, DomainError, Invalid, NotFound } from '../errors.js';
import { decodeId } from '../http/global-id.js';
import { domainErrorStatus } from '../http/problem.js';
import { invitationDelivery, listUndeliveredEmail, retryEmail } from '../mail/undelivered.js';
import { listRoles } from '../roles/service.js';
import { PAGE_CSP, type PagesOptions } from '../self-service/routes.js';
import { errorPage } from '../self-service/pages.js';
import { findAccountName } from '../self-service/store.js';
import type { Session } from '../sessions/service.js';
import { configureSso, showSso } from '../sso/service.js';
import { redirectUri } from '../sso/rules.js';
import { INVITE_MODES, USER_STATUSES, type InviteMode, type UserStatus } from '../users/rules.js';
import {
  countUsers,
  createUser,
  deleteUser,
  getUser,
  listUsers,
  resendInvitation,
  resetPassword,
  updateUser,
  type User,
} from '../users/service.js';
import { findUserById, namesOf } from '../users/store.js';
import type { RoleAssignment } from '../roles/assignment.js';
import type { Actor } from '../auth/permissions.js';
import { consoleCaller, type ConsoleCaller } from './access.js';
import * as pages from './pages.js';

const PAGE_SIZE = 50;

function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

/** A role as the forms carry it: `predefined:<name>` or `custom:<internal id>`. */
function roleFrom(value: string): RoleAssignment {
  const [type, id] = [value.slice(0, value.indexOf(':')), value.slice(value.indexOf(':') + 1)];
  if (type === 'predefined' && (id === 'admin' || id === 'member' || id === 'annotator'))
    return { type: 'predefined', name: id };
  if (type === 'custom' && isRowId(id)) return { type: 'custom', id };
  throw new Invalid('Choose a role from the list', [
    { field: 'role', message: 'Choose a role from the list' },
  ]);
}

/** The errors of a refusal by field, or the refusal itself under `fallback`. */
function fieldErrors(error: DomainError, fallback: string) {
  return error.errors && error.errors.length > 0
    ? error.errors.map((e) => ({ field: e.field, message: sentence(e.message) }))
    : [{ field: fallback, message: sentence(error.message) }];
}

function sentence(text: string): string {
  const trimmed = text.trim();
  return trimmed.charAt(0).toUpperCase() + trimmed.slice(1) + (/[.!?]$/.test(trimmed) ? '' : '.');
}

/** The day of an `<input type="date">` as epoch milliseconds (UTC midnight), or a problem. */
function dayStart(value: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const ms = Date.parse(`${value}T00:00:00Z`);
  return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value ? undefined : ms;
}

export const consolePages: FastifyPluginAsync<PagesOptions> = async (app, { deps, web }) => {
  app.addHook('onRequest', async (request, reply) => {
    // The console's script fetches its own pages (delivery state, search as you type).
    reply.header('content-security-policy', `${PAGE_CSP}; script-src 'self'; connect-src 'self'`);
  });

  // A refusal no form shows (a person of another account, a deleted one): its page and status.
  app.setErrorHandler(async (error, request, reply) => {
    if (!(error instanceof DomainError)) throw error;
    const status = domainErrorStatus(error);
    const session = web.session(request);
    const page = session ? pages.problemPage(session, status, sentence(error.message)) : undefined;
    return web.show(reply, page ?? errorPage(status, request.id), status);
  });

  app.get(pages.CONSOLE_SCRIPT_PATH, { schema: { hide: true } }, async (_request, reply) =>
    reply
      .header('cache-control', 'public, max-age=3600')
      .type('text/javascript; charset=utf-8')
      .send(pages.CONSOLE_SCRIPT),
  );

  /**
   * The caller of a console page, or undefined when the answer is already given: a signed-out
   * visitor goes to /login and comes back; a person who may not see it gets a 403 page.
   */
  async function enter(
    request: FastifyRequest,
    reply: FastifyReply,
    needs: 'read' | 'manage',
    variables: readonly string[] = [],
  ): Promise<(ConsoleCaller & { session: Session; frame: pages.Frame }) | undefined> {
    const session = web.session(request);
    if (!session) {
      const next = request.method === 'GET' ? request.url : '/admin';
      await reply.redirect(`/login?next=${encodeURIComponent(next)}`, 303);
      return undefined;
    }
    const origin = pageOrigin(
      request,
      variables.length > 0
        ? Object.fromEntries(variables.map((name) => [name, field(request.body, name)]))
        : null,
    );
    const caller = await consoleCaller(deps, session, origin);
    const allowed = caller.access === 'manage' || (needs === 'read' && caller.access === 'read');
    if (!allowed) {
      const reason =
        caller.access === 'refused'
          ? 'Your role in this account does not let you see its people (it lacks the USER_READ permission), or you may not use the API.'
          : 'Only admins may open this page; your role lets you see the account’s people.';
      await web.show(reply, pages.refusedPage(session, reason), 403);
      return undefined;
    }
    const frame = { session, csrf: web.csrf(request), access: caller.access };
    return { ...caller, session, frame };
  }

  function userIdOf(request: FastifyRequest): string {
    const id = (request.params as { id: string }).id;
    if (!isRowId(id)) throw new NotFound('No user with this id in your account');
    return id;
  }

  /** The roles the account offers: predefined, then its custom roles. */
  async function roleChoices(actor: Actor): Promise<pages.RoleChoice[]> {
    const { roles } = await listRoles(deps, actor, { limit: 100, isPredefined: false });
    return [
      { value: 'predefined:admin', label: 'Admin' },
      { value: 'predefined:member', label: 'Member' },
      { value: 'predefined:annotator', label: 'Annotator' },
      ...roles.map((role) => ({ value: `custom:${role.id}`, label: `${role.name} (custom)` })),
    ];
  }

  // -------------------------------------------------------------------------------------
  // People

  app.get('/admin', { schema: { hide: true } }, async (request, reply) => {
    const caller = await enter(request, reply, 'read');
    if (!caller) return reply;
    const query = request.query as Record<string, unknown>;
    const email = (typeof query.email === 'string' ? query.email : '').trim().slice(0, 254);
    const statusParam = typeof query.status === 'string' ? query.status : '';
    const status = (USER_STATUSES as readonly string[]).includes(statusParam)
      ? (statusParam as UserStatus)
      : '';
    const cursor = typeof query.cursor === 'string' ? query.cursor : '';
    const notice = typeof query.notice === 'string' ? query.notice : '';
    const base = new URLSearchParams({
      ...(email ? { email } : {}),
      ...(status ? { status } : {}),
    });
    let after;
    let error: string | undefined;
    try {
      after = cursor ? decodeCursor(deps.serverSecret, 'users', cursor) : undefined;
    } catch {
      error = 'This page link is not valid any more; showing the first page.';
    }
    const [list, counts] = await Promise.all([
      listUsers(deps, caller.actor, {
        limit: PAGE_SIZE,
        after,
        emailContains: email || undefined,
        statuses: status ? [status] : undefined,
      }),
      countUsers(deps, caller.actor),
    ]);
    const href = (extra: Record<string, string>) => {
      const params = new URLSearchParams(base);
      for (const [k, v] of Object.entries(extra)) params.set(k, v);
      const text = params.toString();
      return text ? `/admin?${text}` : '/admin';
    };
    const page = pages.peoplePage(caller.frame, {
      users: list.users,
      counts,
      email,
      status,
      nextHref: list.next
        ? href({ cursor: encodeCursor(deps.serverSecret, 'users', list.next) })
        : undefined,
      firstHref: after ? href({}) : undefined,
      notice: notice === 'deleted' ? 'The person was deleted.' : undefined,
      error,
    });
    return web.show(reply, page, error ? 400 : 200);
  });

  // -------------------------------------------------------------------------------------
  // Invite

  const invitationDays = () => Math.max(1, Math.round(deps.config.invitationTtlSeconds / 86400));

  app.get('/admin/invite', { schema: { hide: true } }, async (request, reply) => {
    const caller = await enter(request, reply, 'manage');
    if (!caller) return reply;
    const page = pages.invitePage(caller.frame, {
      form: pages.EMPTY_INVITE,
      roles: await roleChoices(caller.actor),
      invitationDays: invitationDays(),
    });
    return web.show(reply, page);
  });

  app.post('/admin/invite', { schema: { hide: true } }, async (request, reply) => {
    const caller = await enter(request, reply, 'manage', [
      'name',
      'email',
      'role',
      'is_developer',
      'invite_mode',
    ]);
    if (!caller) return reply;
    const mode = field(request.body, 'invite_mode');
    const form: pages.InviteForm = {
      name: field(request.body, 'name').slice(0, 1000),
      email: field(request.body, 'email').slice(0, 1000),
      role: field(request.body, 'role').slice(0, 100),
      isDeveloper: field(request.body, 'is_developer') === 'yes',
      inviteMode: (INVITE_MODES as readonly string[]).includes(mode)
        ? (mode as InviteMode)
        : 'email_link',
    };
    try {
      const result = await createUser(deps, caller.actor, {
        name: form.name,
        email: form.email,
        role: roleFrom(form.role),
        inviteMode: form.inviteMode,
        isDeveloper: form.isDeveloper,
      });
      const outcome: pages.InviteOutcome = result.created
        ? result.temporaryPassword !== undefined
          ? { kind: 'temporary_password', user: result.user, password: result.temporaryPassword }
          : result.inviteMode === 'none'
            ? { kind: 'none', user: result.user }
            : {
                kind: 'email_link',
                user: result.user,
                delivery: await invitationDelivery(deps, caller.actor, result.user.id),
              }
        : {
            kind: result.user.status === 'active' ? 'activated' : 'already-invited',
            user: result.user,
          };
      reply.header('cache-control', 'no-store');
      return web.show(reply, pages.invitedPage(caller.frame, outcome), result.created ? 201 : 200);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const errors =
        error instanceof Conflict
          ? [
              {
                field: 'email',
                message: /deleted/.test(error.message)
                  ? `${form.email} was deleted from this account: a deleted person cannot be invited again with the same email.`
                  : `${form.email} is already a member of this account.`,
              },
            ]
          : fieldErrors(error, 'email');
      const page = pages.invitePage(caller.frame, {
        form,
        roles: await roleChoices(caller.actor),
        invitationDays: invitationDays(),
        error: 'The invitation was not sent: see below.',
        errors,
      });
      return web.show(reply, page, domainErrorStatus(error));
    }
  });

  // -------------------------------------------------------------------------------------
  // A person

  async function showPerson(
    reply: FastifyReply,
    caller: NonNullable<Awaited<ReturnType<typeof enter>>>,
    userId: string,
    extra: Partial<pages.PersonView> = {},
    status = 200,
  ) {
    const user = await getUser(deps, caller.actor, userId);
    const row = await findUserById(deps.db.kysely, caller.actor.accountId, userId);
    const view: pages.PersonView = {
      user,
      invitationExpiresAt: row?.invitation_expires_at ?? null,
      roles: [],
      ...extra,
    };
    if (caller.access === 'manage') {
      const [keys, entries, lastAt, roles] = await Promise.all([
        listKeys(deps, caller.actor, { status: 'active', userId, limit: 100 }),
        listAuditLogs(deps, caller.actor, { userId, limit: 10 }),
        lastSignIn(deps, caller.actor, userId),
        roleChoices(caller.actor),
      ]);
      view.keys = keys.keys;
      view.entries = entries.entries;
      view.lastSignInAt = lastAt;
      view.roles = roles;
    }
    return web.show(reply, pages.personPage(caller.frame, view), status);
  }

  /** Runs a change on a person's page; a refusal shows the page again with its reason. */
  function personAction(
    variables: readonly string[],
    work: (
      caller: NonNullable<Awaited<ReturnType<typeof enter>>>,
      userId: string,
      request: FastifyRequest,
    ) => Promise<string>,
    form?: (request: FastifyRequest) => pages.PersonView['form'],
  ) {
    return async (request: FastifyRequest, reply: FastifyReply) => {
      const caller = await enter(request, reply, 'manage', variables);
      if (!caller) return reply;
      const userId = userIdOf(request);
      try {
        const notice = await work(caller, userId, request);
        return await showPerson(reply, caller, userId, { notice });
      } catch (error) {
        if (!(error instanceof DomainError) || error instanceof NotFound) throw error;
        const status = domainErrorStatus(error);
        const given = form?.(request);
        return showPerson(
          reply,
          caller,
          userId,
          given
            ? {
                form: given,
                errors: fieldErrors(error, 'name'),
                error: 'Nothing was changed: see below.',
              }
            : { error: sentence(error.message) },
          status,
        );
      }
    };
  }

  app.get('/admin/users/:id', { schema: { hide: true } }, async (request, reply) => {
    const caller = await enter(request, reply, 'read');
    if (!caller) return reply;
    return showPerson(reply, caller, userIdOf(request));
  });

  const editForm = (request: FastifyRequest) => ({
    name: field(request.body, 'name').slice(0, 1000),
    role: field(request.body, 'role').slice(0, 100),
    isDeveloper: field(request.body, 'is_developer') === 'yes',
  });

  app.post(
    '/admin/users/:id',
    { schema: { hide: true } },
    personAction(
      ['name', 'role', 'is_developer'],
      async (caller, userId, request) => {
        const form = editForm(request);
        const role = roleFrom(form.role);
        await updateUser(deps, caller.actor, userId, {
          name: form.name,
          role,
          isDeveloper: form.isDeveloper,
        });
        return 'Changes saved.';
      },
      editForm,
    ),
  );

  app.post(
    '/admin/users/:id/resend',
    { schema: { hide: true } },
    personAction([], async (caller, userId) => {
      await resendInvitation(deps, caller.actor, userId);
      return 'A new invitation is on its way; the previous link no longer works.';
    }),
  );

  app.post(
    '/admin/users/:id/reset',
    { schema: { hide: true } },
    personAction([], async (caller, userId) => {
      await resetPassword(deps, caller.actor, userId);
      return 'A password reset link is on its way; it lasts 30 minutes.';
    }),
  );

  app.post(
    '/admin/users/:id/keys/revoke',
    { schema: { hide: true } },
    personAction(['key'], async (caller, _userId, request) => {
      const keyId = decodeId('ApiKey', field(request.body, 'key'));
      if (!keyId) throw new NotFound('No API key with this id that you may manage');
      await revokeKey(deps, caller.actor, keyId);
      return 'The API key was revoked: it no longer works.';
    }),
  );

  // The delivery of the person's invitation email: a page (the no-script Refresh), or with
  // ?part=state its state alone, which the console's script polls while it changes.
  app.get('/admin/users/:id/email', { schema: { hide: true } }, async (request, reply) => {
    const caller = await enter(request, reply, 'manage');
    if (!caller) return reply;
    const userId = userIdOf(request);
    const user = await getUser(deps, caller.actor, userId);
    const state = await invitationDelivery(deps, caller.actor, userId);
    reply.header('cache-control', 'no-store');
    if ((request.query as Record<string, unknown>).part === 'state') {
      return reply.type('text/html; charset=utf-8').send(pages.deliveryState(state).text);
    }
    return web.show(reply, pages.deliveryPage(caller.frame, user, state));
  });

  app.get('/admin/users/:id/delete', { schema: { hide: true } }, async (request, reply) => {
    const caller = await enter(request, reply, 'manage');
    if (!caller) return reply;
    const user = await getUser(deps, caller.actor, userIdOf(request));
    return web.show(reply, pages.deletePage(caller.frame, user));
  });

  app.post('/admin/users/:id/delete', { schema: { hide: true } }, async (request, reply) => {
    const caller = await enter(request, reply, 'manage');
    if (!caller) return reply;
    const userId = userIdOf(request);
    let user: User;
    try {
      user = await getUser(deps, caller.actor, userId);
    } catch (error) {
      if (!(error instanceof NotFound)) throw error;
      // Deleted already: nothing to do, as DELETE answers again; never there: not found.
      await deleteUser(deps, caller.actor, userId);
      return reply.redirect('/admin?notice=deleted', 303);
    }
    try {
      await deleteUser(deps, caller.actor, userId);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const page = pages.deletePage(caller.frame, user, sentence(error.message));
      return web.show(reply, page, domainErrorStatus(error));
    }
    return reply.redirect('/admin?notice=deleted', 303);
  });

  // -------------------------------------------------------------------------------------
  // Audit log

  app.get('/admin/audit', { schema: { hide: true } }, async (request, reply) => {
    const caller = await enter(request, reply, 'manage');
    if (!caller) return reply;
    const query = request.query as Record<string, unknown>;
    const text = (name: string) => (typeof query[name] === 'string' ? (query[name] as string) : '');
    const view: pages.AuditView = {
      entries: [],
      names: new Map(),
      from: text('from').slice(0, 10),
      to: text('to').slice(0, 10),
      user: text('user').slice(0, 200),
      operationType: text('type') === 'mutation' || text('type') === 'query' ? text('type') : '',
    };
    const errors: { field: string; message: string }[] = [];
    const startTime = view.from ? dayStart(view.from) : undefined;
    if (view.from && startTime === undefined)
      errors.push({ field: 'start_time', message: 'Give a day as year-month-day.' });
    const toDay = view.to ? dayStart(view.to) : undefined;
    if (view.to && toDay === undefined)
      errors.push({ field: 'end_time', message: 'Give a day as year-month-day.' });
    const userId = view.user
      ? isRowId(view.user)
        ? view.user
        : decodeId('User', view.user)
      : undefined;
    if (view.user && !userId)
      errors.push({
        field: 'user_id',
        message: 'This is not a user id: copy it from a person’s page.',
      });
    let before;
    try {
      before = text('cursor')
        ? decodeCursor(deps.serverSecret, 'audit-logs', text('cursor'))
        : undefined;
    } catch {
      errors.push({ field: 'cursor', message: 'This page link is not valid any more.' });
    }
    if (errors.length === 0) {
      try {
        const page = await listAuditLogs(deps, caller.actor, {
          startTime,
          endTime: toDay !== undefined ? toDay + DAY_MS - 1 : undefined,
          userId,
          operationType: (view.operationType || undefined) as 'mutation' | 'query' | undefined,
          limit: PAGE_SIZE,
          before,
        });
        view.entries = page.entries;
        view.names = await namesOf(
          deps.db.kysely,
          caller.actor.accountId,
          page.entries.flatMap((entry) => (entry.user_id ? [entry.user_id] : [])),
        );
        const params = new URLSearchParams(
          Object.entries({
            from: view.from,
            to: view.to,
            user: view.user,
            type: view.operationType,
          }).filter(([, v]) => v !== ''),
        );
        const base = params.toString();
        if (page.next) {
          params.set('cursor', encodeCursor(deps.serverSecret, 'audit-logs', page.next));
          view.nextHref = `/admin/audit?${params.toString()}`;
        }
        if (before) view.firstHref = base ? `/admin/audit?${base}` : '/admin/audit';
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        errors.push(...fieldErrors(error, 'start_time'));
      }
    }
    if (errors.length > 0) {
      view.errors = errors;
      view.error = 'The filters were not accepted: see below.';
      if (errors.some((e) => e.field === 'cursor'))
        view.error = errors.find((e) => e.field === 'cursor')!.message;
    }
    return web.show(reply, pages.auditPage(caller.frame, view), errors.length > 0 ? 400 : 200);
  });

  // -------------------------------------------------------------------------------------
  // Account

  async function showAccountSettings(
    reply: FastifyReply,
    caller: NonNullable<Awaited<ReturnType<typeof enter>>>,
    extra: Partial<pages.AccountView> = {},
    status = 200,
  ) {
    const name = (await findAccountName(deps.db.kysely, caller.actor.accountId)) ?? '';
    const sso = await showSso(deps, { actor: caller.actor }).catch((error: unknown) => {
      if (error instanceof NotFound) return undefined;
      throw error;
    });
    const email = await listUndeliveredEmail(deps, caller.actor);
    const frame = { ...caller.frame, session: { ...caller.session, accountName: name } };
    const page = pages.accountSettingsPage(frame, {
      name,
      sso,
      redirectUri: redirectUri(deps.config.publicUrl),
      email,
      ...extra,
    });
    return web.show(reply, page, status);
  }

  app.get('/admin/account', { schema: { hide: true } }, async (request, reply) => {
    const caller = await enter(request, reply, 'manage');
    if (!caller) return reply;
    const notice = (request.query as Record<string, unknown>).notice;
    const words: Record<string, string> = {
      renamed: 'The account was renamed.',
      sso: 'Single sign-on is saved.',
      retried: 'The email is queued again and will be sent shortly.',
    };
    return showAccountSettings(reply, caller, {
      notice: typeof notice === 'string' ? words[notice] : undefined,
    });
  });

  function accountAction(
    form: 'name' | 'sso' | 'email',
    variables: readonly string[],
    work: (
      caller: NonNullable<Awaited<ReturnType<typeof enter>>>,
      request: FastifyRequest,
    ) => Promise<string>,
  ) {
    return async (request: FastifyRequest, reply: FastifyReply) => {
      const caller = await enter(request, reply, 'manage', variables);
      if (!caller) return reply;
      try {
        return reply.redirect(`/admin/account?notice=${await work(caller, request)}`, 303);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        return showAccountSettings(
          reply,
          caller,
          {
            error: sentence(error.message),
            errorIn: form,
            errors: fieldErrors(error, form === 'name' ? 'name' : 'issuer'),
            ssoForm:
              form === 'sso'
                ? {
                    issuer: field(request.body, 'issuer').slice(0, 2000),
                    clientId: field(request.body, 'client_id').slice(0, 2000),
                    enforced: field(request.body, 'enforced') === 'yes',
                  }
                : undefined,
          },
          domainErrorStatus(error),
        );
      }
    };
  }

  app.post(
    '/admin/account/name',
    { schema: { hide: true } },
    accountAction('name', ['name'], async (caller, request) => {
      await renameOwnAccount(deps, caller.actor, { name: field(request.body, 'name') });
      return 'renamed';
    }),
  );

  app.post(
    '/admin/account/sso',
    { schema: { hide: true } },
    accountAction(
      'sso',
      ['issuer', 'client_id', 'client_secret', 'enforced'],
      async (caller, request) => {
        await configureSso(
          deps,
          { actor: caller.actor },
          {
            issuer: field(request.body, 'issuer'),
            clientId: field(request.body, 'client_id'),
            clientSecret: field(request.body, 'client_secret'),
            enforced: field(request.body, 'enforced') === 'yes',
          },
        );
        return 'sso';
      },
    ),
  );

  app.post(
    '/admin/account/email/retry',
    { schema: { hide: true } },
    accountAction('email', ['id'], async (caller, request) => {
      const id = field(request.body, 'id');
      if (!isRowId(id)) throw new NotFound('No undelivered email with this id in your account');
      await retryEmail(deps, caller.actor, id);
      return 'retried';
    }),
  );
};
