// Registration (/register): a user creates a namespace of their own, as in Kubeflow's
// registration flow. The name proposed is derived from their email; it is checked as a DNS label
// while typed; once the server has made the profile, the user goes Home with it selected.

import { useState } from 'preact/hooks';
import { ApiError, useRequest } from './api';
import { TextField } from './fields';
import { ErrorBanner } from './layout';
import {
  createWorkgroup,
  fetchWorkgroupExists,
  namespaceFromEmail,
  namespaceNameProblem,
  NAME_MAX,
  type EnvInfo,
  type EnvState,
  type WorkgroupExists,
} from './namespaces';
import { useErrors } from './ui';

/** How long to wait for a new profile to show in env-info (the server's cache follows a watch). */
const SETTLE_TRIES = 20;
const SETTLE_DELAY_MS = 500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function RegisterPage({ envState, reloadEnv, onRegistered }: {
  envState: EnvState;
  reloadEnv: () => Promise<EnvInfo>;
  /** Called with the namespace made: the shell selects it and goes Home. */
  onRegistered: (ns: string) => void;
}) {
  const [exists, setExists] = useState<WorkgroupExists | null>(null);
  const [name, setName] = useState<string | null>(null);
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState('');
  const [refused, setRefused] = useState<string | null>(null);
  const { errors, report, clear } = useErrors();
  const focusName = () => document.getElementById('register-name')?.focus();

  useRequest(
    fetchWorkgroupExists,
    (ex) => {
      setExists(ex);
      setName((n) => n ?? namespaceFromEmail(ex.user));
    },
    (err) => report('Could not learn whether you may create a namespace', err),
    [],
  );

  const owned = envState.status === 'ok' ? envState.env.namespaces.filter((n) => n.role === 'owner') : [];
  // Cluster admins may create profiles even where registration is turned off.
  const allowed = exists !== null && (exists.registrationFlowAllowed || (envState.status === 'ok' && envState.env.isClusterAdmin));
  const problem = namespaceNameProblem(name ?? '');
  const shown = refused ?? (tried ? problem : null);

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    if (busy || name === null) return;
    setTried(true);
    setRefused(null);
    if (problem) return focusName();
    clear();
    setBusy('Creating…');
    let created: string;
    try {
      created = await createWorkgroup(name);
    } catch (err) {
      setBusy('');
      if (err instanceof ApiError && err.status === 409) {
        setRefused(`A namespace named “${name}” already exists. Choose another name.`);
        focusName();
      } else if (err instanceof ApiError && err.status === 400) {
        setRefused(`The server refused this name: ${err.message}`);
        focusName();
      } else if (err instanceof ApiError && err.status === 403) {
        setExists((ex) => ex && { ...ex, registrationFlowAllowed: false });
        report('Could not create the namespace', err);
      } else {
        report('Could not create the namespace', err);
      }
      return;
    }
    // The profile exists; wait until the server lists it as ours, so Home opens with it selected.
    setBusy('Setting up your namespace…');
    for (let i = 0; i < SETTLE_TRIES; i++) {
      try {
        const env = await reloadEnv();
        if (env.namespaces.some((n) => n.namespace === created)) break;
      } catch {
        // A passing failure: try again, and go on anyway at the end.
      }
      await sleep(SETTLE_DELAY_MS);
    }
    onRegistered(created);
  };

  let body;
  if (envState.status === 'unavailable') {
    body = (
      <p class="card-note" data-testid="register-unavailable">
        Namespaces are not available on this dashboard: it is not connected to a Kubernetes cluster.
      </p>
    );
  } else if (exists === null) {
    body = errors.length ? null : (
      <p class="card-note" aria-busy="true">
        Loading…
      </p>
    );
  } else if (!allowed) {
    body = (
      <p class="card-note" data-testid="register-closed">
        Creating your own namespace is turned off on this dashboard. Ask an administrator to create a namespace for
        you, or the owner of a namespace to add you as a contributor.
      </p>
    );
  } else {
    body = (
      <form class="card-body" noValidate onSubmit={onSubmit} data-testid="register-form">
        {owned.length > 0 && (
          <p class="notice">
            You already own {owned.map((n) => n.namespace).join(', ')}. You can create another namespace here.
          </p>
        )}
        <TextField
          id="register-name"
          label="Namespace name"
          hint={`Lowercase letters a–z, digits and '-', starting and ending with a letter or digit; at most ${NAME_MAX} characters.`}
          error={shown}
          name="namespace"
          type="text"
          autoCapitalize="none"
          maxLength={NAME_MAX + 20}
          value={name ?? ''}
          testid="register-name"
          onInput={(v) => {
            setName(v);
            setRefused(null);
          }}
        />
        <div class="form-actions">
          <button type="submit" class="button primary" disabled={busy !== ''} data-testid="register-submit">
            {busy || 'Create namespace'}
          </button>
        </div>
        <p class="visually-hidden" role="status">
          {busy}
        </p>
      </form>
    );
  }

  return (
    <div class="page">
      <h1 class="page-title">Create your namespace</h1>
      <ErrorBanner messages={errors} onDismiss={clear} />
      <p class="page-intro">
        A namespace is your own space in the cluster: your notebooks, pipelines, models and volumes live there. You
        will be its owner, and can let others work in it as contributors or look at it as viewers.
      </p>
      <section class="card" aria-label="New namespace">
        {body}
      </section>
    </div>
  );
}
