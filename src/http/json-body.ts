/**
 * Strict JSON bodies for the API: a key given twice in one object is refused (which value
 * would win is up to each parser, so the request is ambiguous), and `__proto__` or
 * `constructor.prototype` keys are refused (prototype poisoning), all as 400s.
 */
import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { Invalid } from '../errors.js';

/**
 * Finds the first key that appears twice in one object of a JSON text, without building it.
 * Assumes nothing about validity: malformed text is left to JSON.parse to report.
 */
export function duplicateKey(text: string): string | undefined {
  const stack: Array<Set<string> | null> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectKey && top) {
        let key: string;
        try {
          key = JSON.parse(text.slice(i, end + 1)) as string;
        } catch {
          return undefined;
        }
        if (top.has(key)) return key;
        top.add(key);
        expectKey = false;
      }
      i = end;
    } else if (c === '{') {
      stack.push(new Set());
      expectKey = true;
    } else if (c === '[') {
      stack.push(null);
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      expectKey = stack[stack.length - 1] instanceof Set;
    }
  }
  return undefined;
}

export function registerStrictJson(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === '')
      return done(new Invalid('Request body is empty; a JSON object is required'));
    let value: unknown;
    try {
      value = secureJson.parse(text, undefined, {
        protoAction: 'error',
        constructorAction: 'error',
      });
    } catch (error) {
      const poisoned = error instanceof SyntaxError && /prototype/i.test(error.message);
      return done(
        new Invalid(
          poisoned
            ? 'Request body must not contain __proto__ or constructor.prototype keys'
            : 'Request body is not valid JSON',
        ),
      );
    }
    const duplicate = duplicateKey(text);
    if (duplicate !== undefined) {
      return done(
        new Invalid(`Request body has the key "${duplicate}" twice in one object (duplicate keys)`),
      );
    }
    done(null, value);
  });
}
