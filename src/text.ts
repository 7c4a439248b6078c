/**
 * The text policy: what any string from a client may contain, and what a human-readable
 * field (a user's name, an API key's name and description, an account's name) may contain.
 * Plain functions, no I/O; every input path uses these, so SQLite and PostgreSQL see the same
 * text and no field can display as something it is not.
 */

/**
 * Whether the databases can store the string as it is: PostgreSQL refuses U+0000 in text (and
 * SQLite's LIKE stops at it), and a lone surrogate has no UTF-8 form (drivers would turn it
 * into U+FFFD). Any client string that reaches a query must pass this.
 */
export function isStorableText(value: string): boolean {
  return value.isWellFormed() && !value.includes('\u0000');
}

/**
 * The first string in a parsed body, query or form (objects and arrays walked, keys included)
 * that the databases cannot store, as a field path (`name`, `role.name`, `status.1`), or
 * undefined when there is none. `path` names the value itself.
 */
export function unstorableField(value: unknown, root = 'body'): string | undefined {
  // Walked with a stack of its own: a body may nest thousands deep.
  const pending: Array<[unknown, string, string]> = [[value, root, '']];
  while (pending.length > 0) {
    const [item, here, prefix] = pending.pop()!;
    if (typeof item === 'string') {
      if (!isStorableText(item)) return here;
      continue;
    }
    if (typeof item !== 'object' || item === null) continue;
    const entries = Array.isArray(item) ? [...item.entries()] : Object.entries(item);
    for (const [key] of entries) {
      if (!isStorableText(String(key))) return `${here} (a field name)`;
    }
    // Pushed last first, so the first field is looked at first.
    for (const [key, child] of entries.reverse()) {
      pending.push([child, `${prefix}${String(key)}`, `${prefix}${String(key)}.`]);
    }
  }
  return undefined;
}

/**
 * Characters that show nothing: the Unicode Default_Ignorable_Code_Point set (zero-width
 * spaces and joiners, variation selectors, the combining grapheme joiner, Mongolian free
 * variation selectors, tags, soft hyphen...), Hangul fillers (also listed there), the braille
 * blank, and white space.
 */
const INVISIBLE =
  /[\p{Default_Ignorable_Code_Point}\p{White_Space}\u115F\u1160\u3164\uFFA0\u2800]/u;
const VISIBLE = /[^\p{Default_Ignorable_Code_Point}\p{White_Space}\u115F\u1160\u3164\uFFA0\u2800]/u;

/** Whether the text holds any invisible character (see INVISIBLE). */
export function hasInvisible(value: string): boolean {
  return INVISIBLE.test(value);
}

/**
 * Never in a human-readable field: control characters (C0, DEL, C1: NUL, tab, CR, LF...),
 * lone surrogates, the line and paragraph separators U+2028/U+2029 (line breaks in an email
 * header or body), and the bidirectional embeddings, overrides and isolates that make text
 * display in another order than it is stored.
 */
const FORBIDDEN_IN_TEXT = /[\p{Cc}\p{Cs}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;

export interface TextRules {
  /** At most this many characters (code points), after trimming when trimmed. */
  max: number;
  /** Leading and trailing white space is removed (names); otherwise kept as given. */
  trim: boolean;
  /** The empty string is allowed (an optional description). */
  allowEmpty?: boolean;
}

/** A human-readable field's value as it will be stored, or why it is refused. */
export function checkText(value: string, rules: TextRules): { text: string } | { problem: string } {
  if (!value.isWellFormed()) return { problem: 'must be valid Unicode (no lone surrogates)' };
  const text = rules.trim ? value.trim() : value;
  if (text.length === 0) {
    return rules.allowEmpty ? { text } : { problem: 'must not be empty or only white space' };
  }
  if ([...text].length > rules.max) return { problem: `must be at most ${rules.max} characters` };
  if (FORBIDDEN_IN_TEXT.test(text)) {
    return {
      problem:
        'must not contain control characters, line or paragraph separators, or text-direction overrides',
    };
  }
  if (!VISIBLE.test(text)) {
    return { problem: 'must contain a visible character, not only invisible ones or white space' };
  }
  return { text };
}
