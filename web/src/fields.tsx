// Form fields, and sending a form whose fields are checked here first: what every form of the app
// is made of. Part of the first load (the Access tokens page uses them); the choices that only
// pages loaded on demand use (selects, radio groups, filters) are in ui.tsx.

import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

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

/** What ties an input to its <Field>: the id, whether it is invalid, what describes it. */
export function wired(id: string, hint: boolean, error: string | null | undefined) {
  return { id, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy(id, hint, error) };
}

/**
 * A text field: a one-line input (`short` for amounts; `type` email or password), or a textarea of
 * `rows` lines, in a <Field> with its label, hint and error wired for assistive technology.
 * Spellchecking and the browser's autofill are off (unless `autoComplete` says otherwise): these
 * are names, paths and amounts.
 */
export function TextField({
  id,
  label,
  hint,
  error,
  short,
  rows,
  value,
  type,
  name,
  placeholder,
  autoComplete = 'off',
  autoCapitalize,
  maxLength,
  testid,
  disabled,
  onInput,
}: {
  id: string;
  label: string;
  hint?: ComponentChildren;
  error?: string | null;
  short?: boolean;
  rows?: number;
  value: string;
  type?: 'text' | 'email' | 'password';
  name?: string;
  placeholder?: string;
  autoComplete?: string;
  autoCapitalize?: 'none' | 'off';
  maxLength?: number;
  testid?: string;
  /** Shown but not editable (a value an administrator fixed). */
  disabled?: boolean;
  onInput: (v: string) => void;
}) {
  const wiring = {
    ...wired(id, !!hint, error),
    spellcheck: false,
    value,
    disabled,
    'data-testid': testid,
    onInput: (e: Event) => onInput((e.currentTarget as HTMLInputElement | HTMLTextAreaElement).value),
  };
  return (
    <Field id={id} label={label} hint={hint} error={error}>
      {rows ? (
        <textarea rows={rows} {...wiring} />
      ) : (
        <input
          class={short ? 'short' : undefined}
          // Preact types the roles each input type allows apart; no role is set here.
          type={type as 'text' | undefined}
          name={name}
          placeholder={placeholder}
          autoComplete={autoComplete}
          autoCapitalize={autoCapitalize}
          maxLength={maxLength}
          {...wiring}
        />
      )}
    </Field>
  );
}

/** A form's send button: `text`, or `busyText` (and disabled) while it sends. */
export function SubmitButton({ busy, disabled, text, busyText }: {
  busy: boolean;
  disabled?: boolean;
  text: string;
  busyText: string;
}) {
  return (
    <button type="submit" class="button primary" disabled={busy || disabled}>
      {busy ? busyText : text}
    </button>
  );
}

/** A field's problem, keyed by the field's id; nothing wrong: absent, null or ''. */
export type Problems = Record<string, string | null | undefined>;

/**
 * Sending a form whose fields are checked here as the server checks them: err(id) is a field's
 * problem once the user tried to send (then it follows the input as it is corrected).
 * send(action, fail) is the form's submit handler: it focuses the first field with a problem, or
 * runs `action` (busy meanwhile), handing a failure to `fail`; the form can then be sent again.
 */
export function useCheckedForm(problems: Problems) {
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const err = (id: string) => (tried && problems[id]) || null;
  const send = (action: () => Promise<unknown>, fail: (err: unknown) => void) => async (e?: Event) => {
    e?.preventDefault();
    if (busy) return;
    setTried(true);
    const first = Object.keys(problems).find((id) => problems[id]);
    if (first) return void document.getElementById(first)?.focus();
    setBusy(true);
    try {
      await action();
    } catch (error) {
      fail(error);
    } finally {
      setBusy(false);
    }
  };
  return { tried, setTried, busy, err, send };
}
