// Pieces shared by the pages loaded on demand (contributors, activity, users, registration,
// notebooks, Spark): the error list of a page, modal dialogs, times, role marks, the choices of a
// form (selects, radio buttons, checkboxes, a table's filter), a Kubernetes event as a table row.
// Loaded with those pages, not on first load (form fields themselves are in fields.tsx).

import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';
import { redirectToSignIn, signInAgain } from './auth';
import { Field, wired } from './fields';
import { Icon } from './icons';
import { ROLE_TEXT, type Role } from './namespaces';

export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * A page's own error list: report(what, err) adds "what: reason"; a 401 means the session ended
 * and sends the browser to sign in instead.
 */
export function useErrors(): {
  errors: string[];
  report: (what: string, err: unknown) => void;
  clear: () => void;
} {
  const [errors, setErrors] = useState<string[]>([]);
  const report = (what: string, err: unknown) => {
    if (err instanceof ApiError && err.status === 401) return void redirectToSignIn();
    if (err instanceof ApiError && err.signin) signInAgain(err.signin, `${what}: this needs a recent sign-in.`);
    const line = `${what}: ${describe(err)}`;
    setErrors((e) => (e.includes(line) ? e : [...e, line]));
  };
  return { errors, report, clear: () => setErrors([]) };
}

let dialogs = 0;

/**
 * A modal dialog (the browser's own <dialog>: focus is kept inside, Escape cancels). Mount it to
 * open it; the parent unmounts it from onCancel or after onSubmit.
 */
export function Dialog({ title, submitText, busyText, danger, busy, onSubmit, onCancel, children, testid }: {
  title: string;
  submitText: string;
  busyText?: string;
  danger?: boolean;
  busy?: boolean;
  onSubmit: () => void;
  onCancel: () => void;
  children: ComponentChildren;
  testid?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [id] = useState(() => `dialog-${++dialogs}`);
  useEffect(() => {
    const dialog = ref.current;
    // The element that opened the dialog gets the focus back when it closes.
    const opener = document.activeElement as HTMLElement | null;
    if (dialog && !dialog.open) dialog.showModal();
    return () => {
      dialog?.close();
      opener?.focus?.();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      class="dialog"
      aria-labelledby={`${id}-title`}
      data-testid={testid}
      onCancel={(e) => {
        e.preventDefault();
        if (!busy) onCancel();
      }}
    >
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (!busy) onSubmit();
        }}
      >
        <h2 id={`${id}-title`} class="dialog-title">
          {title}
        </h2>
        <div class="dialog-body">{children}</div>
        <div class="form-actions dialog-actions">
          <button type="button" class="button" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
          <button type="submit" class={danger ? 'button primary danger-fill' : 'button primary'} disabled={busy}>
            {busy ? busyText ?? submitText : submitText}
          </button>
        </div>
      </form>
    </dialog>
  );
}

const DATE_TIME: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'medium' };
const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

/** A time the API sent (RFC 3339), or null when there is none or it is not a time. */
export function parseTime(v: unknown): Date | null {
  if (typeof v !== 'string' || !v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "5 minutes ago", with the exact time on hover and for assistive technology. */
export function TimeAgo({ date, now }: { date: Date | null; now: number }) {
  if (!date || Number.isNaN(date.getTime())) return <>—</>;
  const seconds = Math.round((date.getTime() - now) / 1000);
  const [unit, size] = UNITS.find(([, s]) => Math.abs(seconds) >= s) ?? UNITS[UNITS.length - 1];
  const text = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' }).format(Math.round(seconds / size), unit);
  const exact = date.toLocaleString(undefined, DATE_TIME);
  return (
    <time dateTime={date.toISOString()} title={exact}>
      {text}
    </time>
  );
}

/** The role as a small mark. */
export function RoleMark({ role }: { role: Role }) {
  return <span class={`role role-${role}`}>{ROLE_TEXT[role]}</span>;
}

/** A UTF-8 byte count: the server's password and name limits count bytes, not characters. */
export function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** A choice from a list in a <Field>: `options` as [value, text] pairs, or values that say themselves. */
export function SelectField({ id, label, hint, error, value, options, name, title, disabled, onChange }: {
  id: string;
  label: string;
  hint?: ComponentChildren;
  error?: string | null;
  value: string;
  options: (string | [string, string])[];
  name?: string;
  title?: string;
  disabled?: boolean;
  onChange: (v: string) => void;
}) {
  return (
    <Field id={id} label={label} hint={hint} error={error}>
      <select
        {...wired(id, !!hint, error)}
        name={name}
        value={value}
        title={title}
        disabled={disabled}
        onChange={(e) => onChange(e.currentTarget.value)}
      >
        {options.map((o) => {
          const [v, text] = typeof o === 'string' ? [o, o] : o;
          return (
            <option key={v} value={v}>
              {text}
            </option>
          );
        })}
      </select>
    </Field>
  );
}

/** One of a few choices as radio buttons (`legend` names the group for assistive technology). */
export function Choices<T extends string>({ name, legend, hint, options, value, disabled, onChange }: {
  name: string;
  legend: string;
  hint?: ComponentChildren;
  options: [T, string][];
  value: T;
  disabled?: boolean;
  onChange: (v: T) => void;
}) {
  return (
    <fieldset class="choices">
      <legend class="visually-hidden">{legend}</legend>
      {hint && <p class="field-hint">{hint}</p>}
      {options.map(([v, text]) => (
        <label key={v} class="check">
          <input
            type="radio"
            name={name}
            value={v}
            checked={value === v}
            disabled={disabled}
            onChange={() => onChange(v)}
          />
          {text}
        </label>
      ))}
    </fieldset>
  );
}

/** A checkbox with its text, as a field of a form. */
export function CheckField({ checked, disabled, testid, onChange, children }: {
  checked: boolean;
  disabled?: boolean;
  testid?: string;
  onChange: (checked: boolean) => void;
  children: ComponentChildren;
}) {
  return (
    <div class="field">
      <label class="check">
        <input
          type="checkbox"
          data-testid={testid}
          checked={checked}
          disabled={disabled}
          onChange={(e) => onChange(e.currentTarget.checked)}
        />
        {children}
      </label>
    </div>
  );
}

/** The filter box over a long table, named (`label`) for assistive technology only. */
export function FilterBox({ id, label, placeholder, value, onInput }: {
  id: string;
  label: string;
  placeholder: string;
  value: string;
  onInput: (v: string) => void;
}) {
  return (
    <div class="card-body card-filter">
      <label for={id} class="visually-hidden">
        {label}
      </label>
      <input id={id} type="search" placeholder={placeholder} value={value} onInput={(e) => onInput(e.currentTarget.value)} />
    </div>
  );
}

/** Whether a row whose `texts` are these passes the filter (any of them holds it, any case). */
export function passesFilter(filter: string, texts: string[]): boolean {
  const needle = filter.trim().toLowerCase();
  return !needle || texts.some((t) => t.toLowerCase().includes(needle));
}

/** A Kubernetes event as a page shows it. */
export interface EventFacts {
  time: Date | null;
  /** 'Normal' or 'Warning' (kept as sent). */
  type: string;
  reason: string;
  message: string;
  count: number;
}

/** The columns of a table of <EventRow>s. */
export const EVENT_COLUMNS = ['When', 'Type', 'Reason', 'Object', 'Message'];

/**
 * One event as a table row: when, its type (a warning is marked), the reason with how often it
 * happened, `object` (what it is about) and the message. `testid` names the row for the tests;
 * `typed` adds the type as data-type.
 */
export function EventRow({ event: e, now, object, testid, typed }: {
  event: EventFacts;
  now: number;
  object: ComponentChildren;
  testid: string;
  typed?: boolean;
}) {
  return (
    <tr
      class={e.type === 'Warning' ? 'row-warning' : undefined}
      data-testid={testid}
      data-type={typed ? e.type : undefined}
    >
      <td>
        <TimeAgo date={e.time} now={now} />
      </td>
      <td>
        <span class="event-type">
          {e.type === 'Warning' && <Icon name="warning" />}
          {e.type}
        </span>
      </td>
      <td>
        {e.reason}
        {e.count > 1 && <span class="muted"> ×{e.count}</span>}
      </td>
      <td>{object}</td>
      <td class="wrap message">{e.message}</td>
    </tr>
  );
}
