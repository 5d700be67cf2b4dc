// Pieces shared by the profile pages (contributors, activity, users, registration): the error list
// of a page, modal dialogs, times, role marks. Loaded with those pages, not on first load.

import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';
import { redirectToSignIn } from './auth';
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
