// The personal access tokens page (/tokens): the user's tokens with a Revoke button each, a form
// to create one, and the new token's secret, shown once (the server keeps no copy it could show
// again), with a ready-to-run curl command.

import type { RefObject } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import {
  ApiError,
  createToken,
  listTokens,
  revokeToken,
  useRequest,
  type AccessToken,
  type CreatedToken,
} from './api';
import { redirectToSignIn } from './auth';
import { Field, SubmitButton, TextField, useCheckedForm, wired } from './fields';
import { Icon } from './icons';
import { ErrorBanner, Loading, Table } from './layout';
import { TOKENS_PATH } from './router';

export const NAME_MAX = 64;
export const DAYS_MIN = 1;
export const DAYS_MAX = 365;
export const DAYS_DEFAULT = 30;

export interface TokenFormErrors {
  name?: string;
  days?: string;
}

/** The server's rules, checked before sending so the user gets a message next to the field. */
export function validateTokenForm(name: string, days: string): TokenFormErrors {
  const errors: TokenFormErrors = {};
  const trimmed = name.trim();
  // The server counts UTF-8 bytes; the user counts characters (code points). Say which applies.
  const chars = [...trimmed].length;
  const bytes = new TextEncoder().encode(trimmed).length;
  if (chars === 0) errors.name = 'Give the token a name, for example the script that will use it.';
  else if (bytes > NAME_MAX) {
    errors.name =
      bytes === chars
        ? `The name can be at most ${NAME_MAX} characters long (it has ${chars}).`
        : `The name can be at most ${NAME_MAX} characters long, where accented letters and symbols ` +
          `count as 2 to 4 (it counts as ${bytes}).`;
  } else if (/[\u0000-\u001f\u007f]/.test(trimmed)) {
    errors.name = 'The name cannot contain control characters such as tabs.';
  }
  const n = /^\s*\d+\s*$/.test(days) ? Number(days) : NaN;
  if (!(n >= DAYS_MIN && n <= DAYS_MAX)) {
    errors.days = `Enter a whole number of days from ${DAYS_MIN} to ${DAYS_MAX}.`;
  }
  return errors;
}

const DATE_TIME: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'short' };

/** A Unix time in seconds as the user's locale writes a date and time. */
function Time({ seconds }: { seconds: number }) {
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime())) return <>—</>;
  return <time dateTime={date.toISOString()}>{date.toLocaleString(undefined, DATE_TIME)}</time>;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function byNewest(a: AccessToken, b: AccessToken): number {
  return b.created - a.created;
}

/** Through Dex again (its password form even with a Dex session), back to this page. */
const SIGN_IN_AGAIN = `/auth/login?prompt=login&rd=${encodeURIComponent(TOKENS_PATH)}`;

export function TokensPage({ origin, ns }: { origin: string; ns: string }) {
  const [tokens, setTokens] = useState<AccessToken[] | null>(null);
  const [loadFailed, setLoadFailed] = useState(false);
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [revoking, setRevoking] = useState<string | null>(null);
  const [errors, setErrors] = useState<string[]>([]);

  /** Errors go to the page's banner; a 401 means the session ended: sign in again. */
  const report = (what: string, err: unknown) => {
    // When sign-in would loop, the shell's own /api/whoami check says so in its banner.
    if (err instanceof ApiError && err.status === 401) return void redirectToSignIn();
    setErrors((e) => [...e, `${what}: ${describe(err)}`]);
  };

  useRequest(
    listTokens,
    (list) => setTokens(list.sort(byNewest)),
    (err) => {
      setLoadFailed(true);
      report('Could not load your tokens', err);
    },
    [],
  );

  const onCreated = (token: CreatedToken) => {
    setErrors([]);
    setCreated(token);
    setTokens((list) => (list ? [token, ...list.filter((t) => t.id !== token.id)] : list));
  };

  const onRevoke = async (token: AccessToken) => {
    const sure = window.confirm(
      `Revoke the token "${token.name}"? Scripts that use it will be refused from now on. This cannot be undone.`,
    );
    if (!sure) return;
    setRevoking(token.id);
    try {
      await revokeToken(token.id);
      setErrors([]);
      setTokens((list) => list && list.filter((t) => t.id !== token.id));
      setCreated((c) => (c?.id === token.id ? null : c));
    } catch (err) {
      report(`Could not revoke "${token.name}"`, err);
    } finally {
      setRevoking(null);
    }
  };

  return (
    <div class="page">
      <h1 class="page-title">Access tokens</h1>
      <ErrorBanner messages={errors} onDismiss={() => setErrors([])} />
      <p class="page-intro">
        Personal access tokens let scripts and tools call the kfdash REST API as you. Treat a token like a
        password: anyone who has it can act as you until it expires or you revoke it. A token is made only
        within a few minutes of signing in, and it ends when your account is disabled or deleted.
      </p>
      <div class="stack">
        {created && <NewToken token={created} origin={origin} ns={ns} onDone={() => setCreated(null)} />}
        <CreateForm onCreated={onCreated} onError={(err) => report('Could not create the token', err)} />
        <TokenList tokens={tokens} failed={loadFailed} revoking={revoking} onRevoke={onRevoke} />
      </div>
    </div>
  );
}

function CreateForm({ onCreated, onError }: {
  onCreated: (token: CreatedToken) => void;
  onError: (err: unknown) => void;
}) {
  const [name, setName] = useState('');
  const [days, setDays] = useState(String(DAYS_DEFAULT));
  // The server makes tokens only just after a sign-in at Dex: it said this one is too old.
  const [staleSignIn, setStaleSignIn] = useState(false);

  const errors = validateTokenForm(name, days);
  const validDays = errors.days === undefined ? Number(days) : null;
  // Messages appear after the first attempt, then follow the input as it is corrected.
  const { busy, err, setTried, send } = useCheckedForm({ 'token-name': errors.name, 'token-days': errors.days });

  const onSubmit = send(
    async () => {
      onCreated(await createToken(name.trim(), Number(days)));
      setName('');
      setDays(String(DAYS_DEFAULT));
      setTried(false);
    },
    (e) => {
      if (e instanceof ApiError && e.signin) setStaleSignIn(true);
      else onError(e);
    },
  );

  return (
    <section class="card" aria-labelledby="create-token-title">
      <h2 id="create-token-title" class="card-title">Create a token</h2>
      <form class="card-body token-form" noValidate onSubmit={onSubmit}>
        {staleSignIn && (
          <p class="notice" role="alert" data-testid="token-sign-in-again">
            A token outlives the sign-in that makes it, so it can be made only a few minutes after you
            sign in. <a href={SIGN_IN_AGAIN}>Sign in again</a>, then create it.
          </p>
        )}
        <TextField
          id="token-name"
          type="text"
          label="Name"
          name="name"
          hint={`What the token is for, up to ${NAME_MAX} characters: you will see it in the list below.`}
          value={name}
          error={err('token-name')}
          onInput={setName}
        />
        <Field
          id="token-days"
          label="Expires after (days)"
          hint={
            <>
              {DAYS_MIN} to {DAYS_MAX} days.
              {validDays !== null && (
                <>
                  {' '}
                  It will expire on <Time seconds={Math.floor(Date.now() / 1000) + validDays * 86400} />.
                </>
              )}
            </>
          }
          error={err('token-days')}
        >
          <input
            {...wired('token-days', true, err('token-days'))}
            name="expires_in_days"
            type="number"
            inputMode="numeric"
            min={DAYS_MIN}
            max={DAYS_MAX}
            step={1}
            value={days}
            onInput={(e) => setDays(e.currentTarget.value)}
          />
        </Field>
        <div class="form-actions">
          <SubmitButton busy={busy} text="Create token" busyText="Creating…" />
        </div>
      </form>
    </section>
  );
}

/** A YAML scalar in double quotes (JSON's escaping is valid YAML). */
const yamlString = (s: string) => JSON.stringify(s);

/**
 * A kubeconfig for kubectl through this dashboard (README, "kubectl through kfdash"): the server
 * is /api/k8s here, the user the token, the namespace the one selected (none when none is).
 */
export function kubeconfigFor(origin: string, token: string, ns: string): string {
  const context = ['    cluster: kfdash', '    user: kfdash'];
  if (ns) context.push(`    namespace: ${yamlString(ns)}`);
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: kfdash',
    '  cluster:',
    `    server: ${yamlString(`${origin}/api/k8s`)}`,
    'users:',
    '- name: kfdash',
    '  user:',
    `    token: ${yamlString(token)}`,
    'contexts:',
    '- name: kfdash',
    '  context:',
    ...context,
    'current-context: kfdash',
    '',
  ].join('\n');
}

/** Offers text as a file to save. */
function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/yaml' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** The secret of a token just created: the one moment it can be copied. */
function NewToken({ token, origin, ns, onDone }: {
  token: CreatedToken;
  origin: string;
  ns: string;
  onDone: () => void;
}) {
  const title = useRef<HTMLHeadingElement>(null);
  const secret = useRef<HTMLElement>(null);
  const example = useRef<HTMLElement>(null);
  const config = useRef<HTMLElement>(null);
  const kubeconfig = kubeconfigFor(origin, token.token, ns);
  // kubectl (client-go) sends a bearer token only over TLS.
  const plain = origin.startsWith('http:');
  // Move focus here so that keyboard and screen reader users learn the token is ready.
  useEffect(() => title.current?.focus(), [token.id]);
  const curl = `curl -H "Authorization: Bearer ${token.token}" ${origin}/api/whoami`;
  return (
    <section class="card new-token" aria-labelledby="new-token-title" data-testid="new-token-panel">
      <h2 id="new-token-title" class="card-title" tabIndex={-1} ref={title}>
        Token “{token.name}” created
      </h2>
      <div class="card-body">
        <p class="notice">
          <strong>Copy the token now: it will not be shown again.</strong> If you lose it, revoke it and
          create a new one.
        </p>
        <div class="copy-row">
          <code class="secret" data-testid="new-token" ref={secret}>
            {token.token}
          </code>
          <CopyButton text={token.token} label="Copy token" target={secret} />
        </div>
        <p>Try it: this command asks the server who the token belongs to.</p>
        <div class="copy-row">
          <pre class="example">
            <code data-testid="curl-example" ref={example}>
              {curl}
            </code>
          </pre>
          <CopyButton text={curl} label="Copy command" target={example} />
        </div>
        <p>
          For <code>kubectl</code>: a kubeconfig that reaches the cluster through this dashboard, with your rights
          {ns ? (
            <>
              , in namespace <strong>{ns}</strong>
            </>
          ) : null}
          . Save it and run <code>KUBECONFIG=kubeconfig-kfdash.yaml kubectl get notebooks</code>.
        </p>
        {plain && (
          <p class="notice" data-testid="kubeconfig-needs-https">
            kubectl sends a token only over HTTPS: use this dashboard's https:// address in the server line.
          </p>
        )}
        <div class="copy-row">
          <pre class="example">
            <code data-testid="kubeconfig" ref={config}>
              {kubeconfig}
            </code>
          </pre>
          <span class="copy">
            <CopyButton text={kubeconfig} label="Copy kubeconfig" target={config} />
            <button type="button" class="button" onClick={() => download('kubeconfig-kfdash.yaml', kubeconfig)}>
              Download
            </button>
          </span>
        </div>
        <div class="form-actions">
          <button type="button" class="button" onClick={onDone}>
            Done
          </button>
        </div>
      </div>
    </section>
  );
}

/** Selects an element's text, for the user to copy by hand when the clipboard is refused. */
function selectContents(el: HTMLElement | null): void {
  const selection = window.getSelection();
  if (!el || !selection) return;
  const range = document.createRange();
  range.selectNodeContents(el);
  selection.removeAllRanges();
  selection.addRange(range);
}

/**
 * Copies `text`; where the clipboard is refused, selects `target` for the user to copy by hand.
 * `describedBy` tells which of several such buttons this is.
 */
export function CopyButton({ text, label, target, describedBy }: {
  text: string;
  label: string;
  target: RefObject<HTMLElement | null>;
  describedBy?: string;
}) {
  const [status, setStatus] = useState('');
  useEffect(() => setStatus(''), [text]);
  const copy = async () => {
    try {
      // Missing outside secure contexts (plain http to a non-local host): handled below.
      await navigator.clipboard.writeText(text);
      setStatus('Copied');
    } catch {
      selectContents(target.current);
      setStatus('Selected: press Ctrl+C (⌘C) to copy');
    }
  };
  return (
    <span class="copy">
      <button type="button" class="button" onClick={copy} aria-describedby={describedBy}>
        <Icon name="content-copy" />
        {label}
      </button>
      <span class="copy-status" role="status">
        {status}
      </span>
    </span>
  );
}

function TokenList({ tokens, failed, revoking, onRevoke }: {
  tokens: AccessToken[] | null;
  failed: boolean;
  revoking: string | null;
  onRevoke: (token: AccessToken) => void;
}) {
  const now = Date.now() / 1000;
  return (
    <section class="card" aria-labelledby="token-list-title">
      <h2 id="token-list-title" class="card-title">Your tokens</h2>
      {tokens === null ? (
        <Loading failed={failed && 'The list could not be loaded; reload the page to try again.'} />
      ) : tokens.length === 0 ? (
        <p class="card-note" data-testid="tokens-empty">
          You have no tokens. Create one to let a script call the kfdash REST API as you: the script sends it
          in an <code>Authorization: Bearer &lt;token&gt;</code> header.
        </p>
      ) : (
        <Table labelledBy="token-list-title" columns={['Name', 'Created', 'Expires', 'Last used']} actions>
          {tokens.map((t) => (
            <tr key={t.id} data-testid="token-row">
              <th scope="row" class="token-name">
                {t.name}
              </th>
              <td>
                <Time seconds={t.created} />
              </td>
              <td class={t.expires <= now ? 'expired' : undefined}>
                {t.expires <= now && 'Expired '}
                <Time seconds={t.expires} />
              </td>
              <td>{t.lastUsed === null ? 'Never' : <Time seconds={t.lastUsed} />}</td>
              <td class="actions">
                <button
                  type="button"
                  class="button danger"
                  aria-label={`Revoke ${t.name}`}
                  disabled={revoking === t.id}
                  onClick={() => onRevoke(t)}
                >
                  {revoking === t.id ? 'Revoking…' : 'Revoke'}
                </button>
              </td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}
