// Pieces shared by the pages loaded on demand (contributors, activity, users, registration,
// notebooks, Spark): the error list of a page, modal dialogs, times, role marks, form fields, a
// Kubernetes event as a table row. Loaded with those pages, not on first load.

import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';
import { redirectToSignIn, signInAgain } from './auth';
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

/** A form field: label, input (given as children), hint and error wired for assistive technology. */
export function Field({ id, label, hint, error, children }: {
  id: string;
  label: string;
  hint?: ComponentChildren;
  error?: string | null;
  children: ComponentChildren;
}) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children}
      {hint && (
        <p id={`${id}-hint`} class="field-hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} class="field-error">
          {error}
        </p>
      )}
    </div>
  );
}

/** aria-describedby for an input inside <Field>. */
export function describedBy(id: string, hint: boolean, error: string | null | undefined): string | undefined {
  const ids = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return ids || undefined;
}

/**
 * A text field: a one-line input (`short` for amounts), or a textarea of `rows` lines, in a
 * <Field> with its label, hint and error wired for assistive technology. Spellchecking is off:
 * these are names, paths and amounts.
 */
export function TextField({ id, label, hint, error, short, rows, value, name, placeholder, autoComplete, onInput }: {
  id: string;
  label: string;
  hint?: string;
  error: string | null;
  short?: boolean;
  rows?: number;
  value: string;
  name?: string;
  placeholder?: string;
  autoComplete?: string;
  onInput: (v: string) => void;
}) {
  const wiring = {
    id,
    spellcheck: false,
    value,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': describedBy(id, !!hint, error),
    onInput: (e: Event) => onInput((e.currentTarget as HTMLInputElement | HTMLTextAreaElement).value),
  };
  return (
    <Field id={id} label={label} hint={hint} error={error}>
      {rows ? (
        <textarea rows={rows} {...wiring} />
      ) : (
        <input
          class={short ? 'short' : undefined}
          name={name}
          placeholder={placeholder}
          autoComplete={autoComplete}
          {...wiring}
        />
      )}
    </Field>
  );
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
