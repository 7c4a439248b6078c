/**
 * How a change reached Roster, for its audit entry: through the API (http/v2.ts), a page
 * (self-service/routes.ts) or the command line (cli/). Each door says it in its own words.
 */

export interface Origin {
  /** The client's address (the TCP peer); null on the command line. */
  ip: string | null;
  /**
   * operation_text: the method and path as requested (`POST /v2/users`, `POST /login`), or
   * the command (`cli api-keys create`).
   */
  text: string;
  /** The request's body or the command's options; every secret is removed when it is written. */
  variables: unknown;
  /** The API key the request carried (its internal id), if any. */
  apiKeyId: string | null;
}

/** A change made with `roster <command>` by whoever runs it on the server. */
export function cliOrigin(command: string, variables: unknown = null): Origin {
  return { ip: null, text: `cli ${command}`, variables, apiKeyId: null };
}

/** A page's form post (or a request without a body) from `ip`. */
export function pageOrigin(
  request: { ip: string; method: string; url: string },
  variables: unknown = null,
): Origin {
  return {
    ip: request.ip,
    text: `${request.method} ${pathOf(request.url)}`,
    variables,
    apiKeyId: null,
  };
}

/** The path of a request URL, without its query string (which may carry a token). */
export function pathOf(url: string): string {
  const at = url.indexOf('?');
  return at < 0 ? url : url.slice(0, at);
}
