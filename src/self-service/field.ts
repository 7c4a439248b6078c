/**
 * One form field of the pages and the console: its label, its control, a hint and the problem
 * found in it, each tied to the control (aria-describedby, aria-invalid) so that a screen
 * reader says them when the control is reached.
 */
import type { FieldError } from '../errors.js';
import { html, type Html } from '../html.js';

/** A problem shown under its field: `id` is what the control names in aria-describedby. */
export interface FieldProblem {
  id: string;
  message: string;
}

interface FieldBase {
  id: string;
  label: string;
  /** The name the form sends it under: the id unless given; null for a field not sent. */
  name?: string | null;
  required?: boolean;
  /** Shown under the control and tied to it, as `hintId` (`<id>-hint` unless given). */
  hint?: Html | string;
  hintId?: string;
  problem?: FieldProblem;
  /** Elements elsewhere that describe the control (a form's error at its top). */
  describedBy?: readonly string[];
  /** Marks the control invalid although its problem is shown elsewhere (`describedBy`). */
  invalid?: boolean;
}

export interface InputField extends FieldBase {
  type?: 'text' | 'email' | 'password' | 'search' | 'url' | 'date';
  value?: string;
  minlength?: number;
  maxlength?: number;
  autocomplete?: string;
  readonly?: boolean;
}

export interface SelectField extends FieldBase {
  options: readonly { value: string; label: string }[];
  selected?: string;
}

export interface CheckboxField extends FieldBase {
  checked: boolean;
}

/** The problem of `field` among a refusal's errors, shown under that field. */
export function problemOf(
  errors: readonly FieldError[] | undefined,
  field: string,
): FieldProblem | undefined {
  const found = errors?.find((e) => e.field === field);
  return found ? { id: `${field}-error`, message: found.message } : undefined;
}

function attribute(name: string, value: string | number | null | undefined): Html | '' {
  return value === undefined || value === null ? '' : html` ${name}="${value}"`;
}

function flag(name: string, on: boolean | undefined): Html | '' {
  return on ? html` ${name}` : '';
}

function hintIdOf(field: FieldBase): string | undefined {
  return field.hint === undefined ? undefined : (field.hintId ?? `${field.id}-hint`);
}

/** The attributes that name a control: its id, and the name the form sends it under. */
function identity(field: FieldBase): Html {
  return html`id="${field.id}"${attribute('name', field.name === undefined ? field.id : field.name)}`;
}

/** Whether a control is required, and its ties to its hint and its problem. */
function ties(field: FieldBase): Html {
  const described = [...(field.describedBy ?? []), field.problem?.id, hintIdOf(field)].filter(
    (id) => id !== undefined,
  );
  const invalid = field.invalid || field.problem !== undefined;
  return html`${[
    flag('required', field.required),
    attribute('aria-invalid', invalid ? 'true' : undefined),
    attribute('aria-describedby', described.length > 0 ? described.join(' ') : undefined),
  ]}`;
}

/** The hint and the problem under a control. */
function notes(field: FieldBase): Html {
  const hintId = hintIdOf(field);
  return html`${hintId !== undefined ? html`<span class="hint" id="${hintId}">${field.hint}</span>` : ''}
  ${field.problem ? html`<span class="field-error" id="${field.problem.id}">${field.problem.message}</span>` : ''}`;
}

export function inputField(field: InputField): Html {
  const attributes = [
    attribute('autocomplete', field.autocomplete),
    attribute('minlength', field.minlength),
    attribute('maxlength', field.maxlength),
    attribute('value', field.value),
    flag('readonly', field.readonly),
  ];
  return html`<div class="field">
    <label for="${field.id}">${field.label}</label>
    <input ${identity(field)} type="${field.type ?? 'text'}" ${ties(field)}${attributes} />
    ${notes(field)}
  </div>`;
}

export function selectField(field: SelectField): Html {
  return html`<div class="field">
    <label for="${field.id}">${field.label}</label>
    <select ${identity(field)}${ties(field)}>
      ${field.options.map(
        (option) =>
          html`<option value="${option.value}" ${flag('selected', option.value === field.selected)}>
            ${option.label}
          </option>`,
      )}
    </select>
    ${notes(field)}
  </div>`;
}

/** A checkbox sends `yes` when checked; it stands before its label. */
export function checkboxField(field: CheckboxField): Html {
  return html`<div class="field checkbox">
    <input
      ${identity(field)}
      type="checkbox"
      value="yes"
      ${ties(field)}${flag('checked', field.checked)}
    />
    <label for="${field.id}">${field.label}</label>
    ${notes(field)}
  </div>`;
}
