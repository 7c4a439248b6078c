/**
 * A person's browser, reduced to what the pages need: a cookie jar, GET and form POST, no
 * redirects followed (tests look at them), and an optional source address on the loopback
 * range, so that tests can come from different client addresses.
 */
import http from 'node:http';
import type { ReceivedEmail } from '../support/smtp.js';
import { linkIn } from '../support/smtp.js';

export interface Page {
  status: number;
  headers: http.IncomingHttpHeaders;
  location: string | undefined;
  setCookies: string[];
  body: string;
}

export interface Visitor {
  cookies: Map<string, string>;
  get(path: string, headers?: Record<string, string>): Promise<Page>;
  /** Posts a form; the CSRF token of the last page seen is added unless `_csrf` is given. */
  post(
    path: string,
    fields: Record<string, string>,
    headers?: Record<string, string>,
  ): Promise<Page>;
  /** The CSRF token in the last page this visitor was shown. */
  csrf: string | undefined;
  /** GETs redirects until a page that is not one. */
  follow(page: Page): Promise<Page>;
}

export function newVisitor(baseUrl: string, localAddress?: string): Visitor {
  const cookies = new Map<string, string>();
  const base = new URL(baseUrl);

  function request(
    method: string,
    path: string,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<Page> {
    const cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: base.hostname,
          port: base.port,
          path,
          method,
          localAddress,
          headers: {
            ...(cookie ? { cookie } : {}),
            ...(body !== undefined
              ? {
                  'content-type': 'application/x-www-form-urlencoded',
                  'content-length': String(Buffer.byteLength(body)),
                }
              : {}),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const setCookies = res.headers['set-cookie'] ?? [];
            for (const line of setCookies) remember(line);
            const page: Page = {
              status: res.statusCode ?? 0,
              headers: res.headers,
              location: res.headers.location,
              setCookies,
              body: Buffer.concat(chunks).toString('utf8'),
            };
            const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
            if (token) visitor.csrf = token;
            resolve(page);
          });
        },
      );
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  function remember(line: string) {
    const [pair, ...attributes] = line.split(';');
    const at = pair!.indexOf('=');
    const name = pair!.slice(0, at).trim();
    const value = pair!.slice(at + 1).trim();
    const expired = attributes.some((a) => {
      const [key, val] = a.trim().split('=');
      if (key?.toLowerCase() === 'max-age') return Number(val) <= 0;
      if (key?.toLowerCase() === 'expires') return Date.parse(val ?? '') <= Date.now();
      return false;
    });
    if (expired || value === '') cookies.delete(name);
    else cookies.set(name, value);
  }

  const visitor: Visitor = {
    cookies,
    csrf: undefined,
    get: (path, headers) => request('GET', path, undefined, headers),
    post(path, fields, headers) {
      const withCsrf = { ...(visitor.csrf ? { _csrf: visitor.csrf } : {}), ...fields };
      return request('POST', path, new URLSearchParams(withCsrf).toString(), headers);
    },
    async follow(page) {
      let current = page;
      for (let i = 0; i < 10 && current.location; i++)
        current = await visitor.get(current.location);
      return current;
    },
  };
  return visitor;
}

/** The path and query of the link in an email (its host is ROSTER_PUBLIC_URL's). */
export function linkPath(email: ReceivedEmail, prefix: string): string {
  const url = new URL(linkIn(email, prefix));
  return url.pathname + url.search;
}

export function tokenOf(path: string): string {
  return new URL(path, 'http://x').searchParams.get('token') ?? '';
}

/** The text of the page's alert, if any. */
export function alertOf(page: Page): string | undefined {
  return /<div class="alert [a-z]+" role="(?:alert|status)"[^>]*>([^<]*)<\/div>/.exec(
    page.body,
  )?.[1];
}

/** The attributes of a Set-Cookie line for `name`, lower-cased, or undefined. */
export function cookieAttributes(page: Page, name: string): string[] | undefined {
  const line = page.setCookies.find((l) => l.startsWith(`${name}=`));
  return line
    ?.split(';')
    .slice(1)
    .map((a) => a.trim().toLowerCase());
}
