/**
 * What a use case tells its caller when it cannot do what was asked, in the domain's words.
 * Nothing here knows HTTP: http/problem.ts maps each kind to a status, the CLI to an exit code.
 */

export interface FieldError {
  field: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    detail: string,
    readonly errors?: FieldError[],
  ) {
    super(detail);
  }
}

/** The request is malformed or breaks a rule; `errors` names the fields. */
export class Invalid extends DomainError {}
/** The caller could not be identified (no key, an unknown, revoked or expired one). */
export class Unauthorized extends DomainError {}
/** The caller is known but may not do this. */
export class Forbidden extends DomainError {}
/** No such thing that the caller may see. */
export class NotFound extends DomainError {}
/** The thing's current state does not allow it (a deleted user, an active one, ...). */
export class Conflict extends DomainError {}
/** Well-formed, but the values do not go together. */
export class Unprocessable extends DomainError {}
