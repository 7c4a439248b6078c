/**
 * The API reference at /docs: Scalar's Fastify plugin renders the OpenAPI document that
 * @fastify/swagger builds, with Roster's name and colours, and with the README's guide to how
 * the API behaves as its introduction. Everything it loads comes from this server (its script
 * ships inside the package), so it works without internet access.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import apiReference from '@scalar/fastify-api-reference';

/** The README's section a newcomer reads before calling the API. */
export const GUIDE_HEADING = 'How the API behaves';

/**
 * The README's guide to the API (its "How the API behaves" section, up to the next section), or
 * undefined when the README is not where the package keeps it (npm packs it beside dist/).
 */
export function apiGuide(readme = new URL('../../README.md', import.meta.url)): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(readme, 'utf8');
  } catch {
    return undefined;
  }
  const start = text.indexOf(`\n## ${GUIDE_HEADING}\n`);
  if (start < 0) return undefined;
  const end = text.indexOf('\n## ', start + 1);
  return text.slice(start + 1, end < 0 ? undefined : end).trim();
}

/** The document's introduction: what the API is, then the README's guide to how it behaves. */
export function apiDescription(): string {
  const summary =
    'Manage the users of an account. Wire-compatible with the Arize AI v2 Users API. Enum values are ' +
    'accepted in lower or upper case; responses are lower case, or upper case when the request carries ' +
    'an sdk-language header (as the official SDKs do). Errors are RFC 9457 problem details.';
  const guide = apiGuide();
  if (!guide) return `${summary}\n\nSee the section "${GUIDE_HEADING}" of Roster's README.`;
  return `${summary}\n\nThe guide below is the section "${GUIDE_HEADING}" of Roster's README.\n\n${guide}`;
}

/**
 * The API reference loads its script, styles and the OpenAPI document from this server only
 * (the reference sets some styles inline), runs no inline script but its own start-up line
 * (allowed by its hash, see inlineScriptHashes), and no site may frame it.
 */
export function docsHeaders(scriptHashes: string[] = []): Record<string, string> {
  return {
    'content-security-policy': [
      "default-src 'none'",
      ["script-src 'self'", ...scriptHashes.map((hash) => `'${hash}'`)].join(' '),
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      "font-src 'self' data:",
      "connect-src 'self'",
      "form-action 'self'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; '),
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}

/** `sha256-...` of each inline `<script>` of a page, as a Content-Security-Policy names it. */
export function inlineScriptHashes(html: string): string[] {
  return [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map(
    ([, body]) => `sha256-${createHash('sha256').update(body!).digest('base64')}`,
  );
}

/** Roster's accent: the colour of the buttons of its pages and emails. */
const ACCENT = '#1f4fd1';

const BRANDING_CSS = `.light-mode, .dark-mode { --scalar-color-accent: ${ACCENT}; }`;

/** Roster's icon in the browser's tab: an R on its accent colour. */
const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="${ACCENT}"/><text x="16" y="23" font-family="system-ui,sans-serif" font-size="20" font-weight="700" text-anchor="middle" fill="#fff">R</text></svg>`;

export async function registerApiReference(app: FastifyInstance): Promise<void> {
  await app.register(async (docs) => {
    // The reference's page starts the renderer with one inline script: the policy allows that
    // script, by its hash, and no other.
    docs.addHook('onSend', (_request, reply, payload, done) => {
      const type = String(reply.getHeader('content-type') ?? '');
      if (typeof payload === 'string' && type.startsWith('text/html')) {
        reply.headers(docsHeaders(inlineScriptHashes(payload)));
      }
      done(null, payload);
    });
    docs.get('/docs/favicon.svg', { schema: { hide: true } }, (_request, reply) =>
      reply.type('image/svg+xml').send(FAVICON),
    );
    await docs.register(apiReference, {
      routePrefix: '/docs',
      logLevel: 'warn',
      configuration: {
        pageTitle: 'Roster API reference',
        favicon: 'favicon.svg',
        metaData: { title: 'Roster API reference' },
        // Nothing from elsewhere: no web fonts, no link to the hosted API client, no chat agent
        // (it loads documents through the vendor's proxy).
        withDefaultFonts: false,
        hideClientButton: true,
        agent: { disabled: true },
        showDeveloperTools: 'never',
        customCss: BRANDING_CSS,
      },
    });
  });
}
