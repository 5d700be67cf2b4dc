// Users (/admin/users, cluster admins only): the people who can sign in at Dex. Add one (with a
// profile of their own if wanted), reset a password, disable or enable, delete.

import { useState } from 'preact/hooks';
import { getJSON, sendJSON, useRequest } from './api';
import { SubmitButton, TextField, useCheckedForm } from './fields';
import { asString, isObject } from './json';
import { ErrorBanner, Loading, Table } from './layout';
import { emailProblem, namespaceFromEmail, namespaceNameProblem, NAME_MAX, type EnvState } from './namespaces';
import { CheckField, Dialog, FilterBox, passesFilter, useErrors, utf8Length } from './ui';

export interface DexUser {
  email: string;
  username: string;
  userID: string;
  disabled: boolean;
}

export function normalizeUsers(raw: unknown): DexUser[] {
  const list = Array.isArray(raw) ? raw : isObject(raw) && Array.isArray(raw.users) ? raw.users : [];
  return list
    .filter(isObject)
    .map((v) => ({ email: asString(v.email), username: asString(v.username), userID: asString(v.userID), disabled: v.disabled === true }))
    .filter((u) => u.email)
    .sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
}

const USERS = '/api/admin/users';
const userPath = (email: string) => `${USERS}/${encodeURIComponent(email)}`;

export async function listUsers(signal?: AbortSignal): Promise<DexUser[]> {
  return normalizeUsers(await getJSON(USERS, signal));
}

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 72;

/** Dex stores bcrypt hashes: 8 to 72 bytes of UTF-8. */
export function passwordProblem(password: string, again: string): { password?: string; again?: string } {
  const bytes = utf8Length(password);
  if (bytes < PASSWORD_MIN) return { password: `Use at least ${PASSWORD_MIN} characters.` };
  if (bytes > PASSWORD_MAX) {
    return {
      password:
        bytes === password.length
          ? `Use at most ${PASSWORD_MAX} characters (it has ${bytes}).`
          : `Use at most ${PASSWORD_MAX} bytes, where accented letters and symbols count as 2 to 4 (it counts as ${bytes}).`,
    };
  }
  if (password !== again) return { again: 'The two passwords differ.' };
  return {};
}

/** Dex's own rules for a password-database email, on top of the usual shape. */
export function userEmailProblem(email: string): string | null {
  if (/[^\x00-\x7f]/.test(email)) return 'Use an address in plain ASCII letters: Dex cannot store others.';
  if (email.length > 150) return `Use an address of at most 150 characters (it has ${email.length}).`;
  return emailProblem(email);
}

const PASSWORD_HINT = `${PASSWORD_MIN} to ${PASSWORD_MAX} characters. A long phrase is stronger than a short jumble.`;

/** A new password, typed twice (`id` and `id`-again), with Dex's rules shown next to it. */
function PasswordFields({ id, label, password, again, err, onPassword, onAgain }: {
  id: string;
  label: string;
  password: string;
  again: string;
  err: (id: string) => string | null;
  onPassword: (v: string) => void;
  onAgain: (v: string) => void;
}) {
  return (
    <>
      <TextField
        id={id}
        type="password"
        label={label}
        hint={PASSWORD_HINT}
        autoComplete="new-password"
        value={password}
        error={err(id)}
        onInput={onPassword}
      />
      <TextField
        id={`${id}-again`}
        type="password"
        label={`${label} again`}
        autoComplete="new-password"
        value={again}
        error={err(`${id}-again`)}
        onInput={onAgain}
      />
    </>
  );
}

function AddUser({ onAdded, onError }: { onAdded: (message: string) => void; onError: (err: unknown) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [username, setUsername] = useState('');
  const [withProfile, setWithProfile] = useState(true);
  // null: follow the email; a string once the admin edits the name.
  const [profile, setProfile] = useState<string | null>(null);

  const trimmed = email.trim();
  const profileName = profile ?? namespaceFromEmail(trimmed);
  const pw = passwordProblem(password, again);
  const { busy, err, setTried, send } = useCheckedForm({
    'user-email': userEmailProblem(trimmed),
    'user-password': pw.password,
    'user-password-again': pw.again,
    'user-profile': withProfile ? namespaceNameProblem(profileName) : null,
  });

  const onSubmit = send(async () => {
    const body: Record<string, unknown> = { email: trimmed, password, create_profile: withProfile };
    if (username.trim()) body.username = username.trim();
    if (withProfile) body.profile = profileName;
    await sendJSON('POST', USERS, body);
    onAdded(withProfile ? `${trimmed} added, with the profile ${profileName}.` : `${trimmed} added.`);
    setEmail('');
    setPassword('');
    setAgain('');
    setUsername('');
    setProfile(null);
    setTried(false);
  }, onError);

  return (
    <section class="card" aria-labelledby="add-user-title">
      <h2 id="add-user-title" class="card-title">
        Add a user
      </h2>
      <form class="card-body" noValidate onSubmit={onSubmit} data-testid="add-user">
        <TextField
          id="user-email"
          type="email"
          label="Email"
          hint="They sign in with this address."
          value={email}
          error={err('user-email')}
          onInput={setEmail}
        />
        <PasswordFields
          id="user-password"
          label="Password"
          password={password}
          again={again}
          err={err}
          onPassword={setPassword}
          onAgain={setAgain}
        />
        <TextField
          id="user-username"
          label="Username (optional)"
          hint="The name Dex shows. Empty: the part of the email before '@'."
          value={username}
          onInput={setUsername}
        />
        <CheckField checked={withProfile} testid="user-create-profile" onChange={setWithProfile}>
          Create a profile (a namespace they own)
        </CheckField>
        {withProfile && (
          <TextField
            id="user-profile"
            label="Profile name"
            hint={`Lowercase letters, digits and '-', at most ${NAME_MAX} characters. Proposed from the email.`}
            autoCapitalize="none"
            value={profileName}
            error={err('user-profile')}
            onInput={setProfile}
          />
        )}
        <div class="form-actions">
          <SubmitButton busy={busy} text="Add user" busyText="Adding…" />
        </div>
      </form>
    </section>
  );
}

function ResetPassword({ user, onDone, onCancel, onError }: {
  user: DexUser;
  onDone: () => void;
  onCancel: () => void;
  onError: (err: unknown) => void;
}) {
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const problems = passwordProblem(password, again);
  const { busy, err, send } = useCheckedForm({
    'reset-password': problems.password,
    'reset-password-again': problems.again,
  });
  const submit = send(async () => {
    await sendJSON('PUT', `${userPath(user.email)}/password`, { password });
    onDone();
  }, onError);
  return (
    <Dialog
      title={`New password for ${user.email}`}
      submitText="Set password"
      busyText="Setting…"
      busy={busy}
      onSubmit={submit}
      onCancel={onCancel}
      testid="reset-password"
    >
      <PasswordFields
        id="reset-password"
        label="New password"
        password={password}
        again={again}
        err={err}
        onPassword={setPassword}
        onAgain={setAgain}
      />
    </Dialog>
  );
}

function UserAdmin() {
  const [users, setUsers] = useState<DexUser[] | null>(null);
  const [round, setRound] = useState(0);
  const [busy, setBusy] = useState<string | null>(null);
  const [resetting, setResetting] = useState<DexUser | null>(null);
  const [deleting, setDeleting] = useState<DexUser | null>(null);
  const [status, setStatus] = useState('');
  const [filter, setFilter] = useState('');
  const { errors, report, clear } = useErrors();

  useRequest(listUsers, setUsers, (err) => report('Could not load the users', err), [round]);

  const done = (message: string) => {
    clear();
    setStatus(message);
    setRound((r) => r + 1);
  };

  const toggle = async (u: DexUser) => {
    setBusy(u.email);
    try {
      await sendJSON('POST', `${userPath(u.email)}/${u.disabled ? 'enable' : 'disable'}`);
      done(u.disabled ? `${u.email} can sign in again.` : `${u.email} is disabled.`);
    } catch (err) {
      report(`Could not ${u.disabled ? 'enable' : 'disable'} ${u.email}`, err);
    } finally {
      setBusy(null);
    }
  };

  const remove = async () => {
    if (!deleting) return;
    const u = deleting;
    setBusy(u.email);
    try {
      await sendJSON('DELETE', userPath(u.email));
      done(`${u.email} deleted.`);
    } catch (err) {
      report(`Could not delete ${u.email}`, err);
    } finally {
      setBusy(null);
      setDeleting(null);
    }
  };

  const shown = users?.filter((u) => passesFilter(filter, [u.email, u.username]));

  return (
    <>
      <ErrorBanner messages={errors} onDismiss={clear} />
      <p class="status-line" role="status" data-testid="users-status">
        {status}
      </p>
      <div class="stack">
        <section class="card" aria-labelledby="users-title">
          <h2 id="users-title" class="card-title">
            Users{users ? ` (${users.length})` : ''}
          </h2>
          {users && users.length > 8 && (
            <FilterBox
              id="users-filter"
              label="Filter users"
              placeholder="Filter by email or name"
              value={filter}
              onInput={setFilter}
            />
          )}
          {shown == null ? (
            <Loading failed={errors.length > 0 && 'The list could not be loaded.'} />
          ) : shown.length === 0 ? (
            <p class="card-note">{filter.trim() ? 'No user matches.' : 'No users yet.'}</p>
          ) : (
            <Table labelledBy="users-title" columns={['Email', 'Username', 'Status']} actions>
              {shown.map((u) => (
                <tr
                  key={u.email}
                  data-testid="users-row"
                  data-email={u.email}
                  data-disabled={String(u.disabled)}
                  class={u.disabled ? 'row-disabled' : undefined}
                >
                  <th scope="row" class="person">
                    {u.email}
                  </th>
                  <td>{u.username || <span class="muted">—</span>}</td>
                  <td>{u.disabled ? <span class="role role-disabled">disabled</span> : 'active'}</td>
                  <td class="actions">
                    <span class="row-actions">
                      <button
                        type="button"
                        class="button"
                        aria-label={`Reset the password of ${u.email}`}
                        disabled={busy === u.email}
                        onClick={() => setResetting(u)}
                      >
                        Reset password
                      </button>
                      <button
                        type="button"
                        class="button"
                        aria-label={`${u.disabled ? 'Enable' : 'Disable'} ${u.email}`}
                        disabled={busy === u.email}
                        onClick={() => toggle(u)}
                      >
                        {u.disabled ? 'Enable' : 'Disable'}
                      </button>
                      <button
                        type="button"
                        class="button danger"
                        aria-label={`Delete ${u.email}`}
                        disabled={busy === u.email}
                        onClick={() => setDeleting(u)}
                      >
                        Delete
                      </button>
                    </span>
                  </td>
                </tr>
              ))}
            </Table>
          )}
        </section>
        <AddUser onAdded={done} onError={(err) => report('Could not add the user', err)} />
      </div>
      {resetting && (
        <ResetPassword
          user={resetting}
          onCancel={() => setResetting(null)}
          onDone={() => {
            done(`New password set for ${resetting.email}.`);
            setResetting(null);
          }}
          onError={(err) => {
            report(`Could not set the password of ${resetting.email}`, err);
            setResetting(null);
          }}
        />
      )}
      {deleting && (
        <Dialog
          title={`Delete ${deleting.email}?`}
          submitText="Delete"
          busyText="Deleting…"
          danger
          busy={busy === deleting.email}
          onSubmit={remove}
          onCancel={() => setDeleting(null)}
          testid="confirm-delete-user"
        >
          <p>
            {deleting.email} will no longer be able to sign in. Namespaces they own are kept. This cannot be undone; to
            stop someone for a while, disable them instead.
          </p>
        </Dialog>
      )}
    </>
  );
}

export function UsersPage({ envState }: { envState: EnvState }) {
  return (
    <div class="page">
      <h1 class="page-title">Users</h1>
      <p class="page-intro">
        The people who can sign in to this dashboard. Give a new user a profile to let them start working at once, or
        add them to existing namespaces on the Manage contributors page.
      </p>
      {envState.status === 'loading' ? (
        <Loading />
      ) : envState.status === 'ok' && envState.env.isClusterAdmin ? (
        <UserAdmin />
      ) : (
        <p class="card-note card" data-testid="users-forbidden">
          {envState.status === 'unavailable'
            ? 'Users are not available: this dashboard is not connected to a Kubernetes cluster.'
            : 'Only cluster administrators can manage users.'}
        </p>
      )}
    </div>
  );
}
