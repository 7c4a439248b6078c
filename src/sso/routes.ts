/**
 * HTTP for /v2/sso: the account's single sign-on provider (Roster's own extension, beyond the
 * Arize contract). Admins only (SSO_MANAGE). No rules here.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../deps.js';
import { isoTime } from '../http/time.js';
import { AUTH_PROBLEMS, JSON_BODY_PROBLEMS, problems } from '../http/schemas.js';
import { CLIENT_ID_MAX, CLIENT_SECRET_MAX, ISSUER_MAX, SSO_SCOPES } from './rules.js';
import * as service from './service.js';

const tags = ['Single sign-on'];

export const SsoSettingsSchema = Type.Object(
  {
    issuer: Type.String({ description: "The provider's issuer identifier, as discovered" }),
    client_id: Type.String(),
    client_secret_last4: Type.String({
      description: 'The last 4 characters of the client secret; the secret itself is never shown',
    }),
    enforced: Type.Boolean({
      description:
        "When true, the account's users cannot sign in with a password, except admins (break-glass, logged)",
    }),
    redirect_uri: Type.String({
      description: 'The redirect URI to register at the provider (ROSTER_PUBLIC_URL/sso/callback)',
    }),
    scopes: Type.String({ description: 'The scopes Roster asks for' }),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'SsoSettings' },
);

function toWire(settings: service.SsoSettings) {
  return {
    issuer: settings.issuer,
    client_id: settings.clientId,
    client_secret_last4: settings.clientSecretLast4,
    enforced: settings.enforced,
    redirect_uri: settings.redirectUri,
    scopes: SSO_SCOPES,
    created_at: isoTime(settings.createdAt),
    updated_at: isoTime(settings.updatedAt),
  };
}

const ADMIN_ONLY = 'Admins only (SSO_MANAGE). Roster extension, not part of the Arize v2 API.';

export const ssoRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.get(
    '/sso',
    {
      schema: {
        tags,
        operationId: 'get_sso',
        summary: "The account's single sign-on (OpenID Connect) provider",
        description: ADMIN_ONLY,
        response: {
          200: Type.Unsafe({ $ref: 'SsoSettings#' }),
          ...problems({ 404: 'The account has no single sign-on provider', ...AUTH_PROBLEMS }),
        },
      },
    },
    async (request) => toWire(await service.showSso(deps, { actor: request.actor! })),
  );

  app.put(
    '/sso',
    {
      schema: {
        tags,
        operationId: 'set_sso',
        summary: "Set the account's single sign-on (OpenID Connect) provider",
        description:
          `${ADMIN_ONLY} Replaces any provider the account had. Roster discovers the provider from ` +
          '<issuer>/.well-known/openid-configuration first; a provider that cannot be discovered, or ' +
          'that lacks the authorization code flow with PKCE S256 or a JWKS, is a 422 whose detail says ' +
          'why. The issuer must be https://, except when ROSTER_PUBLIC_URL is http://. The client ' +
          'secret is stored encrypted and never returned. Register redirect_uri at the provider, ' +
          `with the scopes ${SSO_SCOPES}.`,
        body: Type.Object(
          {
            issuer: Type.String({ minLength: 1, maxLength: ISSUER_MAX }),
            client_id: Type.String({ minLength: 1, maxLength: CLIENT_ID_MAX }),
            client_secret: Type.String({ minLength: 1, maxLength: CLIENT_SECRET_MAX }),
            enforced: Type.Boolean({
              description:
                'Refuse password sign-in to the users of the account, except admins (break-glass)',
            }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Unsafe({ $ref: 'SsoSettings#' }),
          ...problems({
            400: 'Invalid body (names the field): an issuer that is not an https:// URL, ...',
            422: 'The issuer could not be discovered, or the provider cannot be used; the detail says why',
            ...JSON_BODY_PROBLEMS,
            ...AUTH_PROBLEMS,
          }),
        },
      },
    },
    async (request) =>
      toWire(
        await service.configureSso(
          deps,
          { actor: request.actor! },
          {
            issuer: request.body.issuer,
            clientId: request.body.client_id,
            clientSecret: request.body.client_secret,
            enforced: request.body.enforced,
          },
        ),
      ),
  );

  app.delete(
    '/sso',
    {
      schema: {
        tags,
        operationId: 'delete_sso',
        summary: "Remove the account's single sign-on provider; 204 again when there is none",
        description:
          `${ADMIN_ONLY} Sign-ins under way with it are refused; users without a password can then ` +
          'no longer sign in to the pages.',
        response: {
          204: Type.Null({ description: 'Removed' }),
          ...problems({ ...AUTH_PROBLEMS }),
        },
      },
    },
    async (request, reply) => {
      await service.removeSso(deps, { actor: request.actor! });
      return reply.code(204).send(null);
    },
  );
};
