/**
 * HTML built from tagged templates: every interpolated value is escaped unless it is itself
 * Html, so a name such as `<script>` is shown as text, never run.
 */
const HTML = Symbol('html');

export interface Html {
  readonly [HTML]: true;
  readonly text: string;
}

export type HtmlValue = Html | string | number | false | null | undefined | readonly HtmlValue[];

function trusted(text: string): Html {
  return { [HTML]: true, text };
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function render(value: HtmlValue): string {
  if (value === false || value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  if (typeof value === 'object') return (value as Html).text;
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return trusted(out);
}
