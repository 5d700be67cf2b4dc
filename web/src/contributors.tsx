// Manage contributors (/contributors, or Kubeflow's /manage-users): who may use each namespace of the user. Owners (and cluster
// admins) add people as contributors (edit) or viewers (look only) and remove them; everyone else
// sees the list as it is. Cluster admins also get every profile of the cluster in one table.

import { useEffect, useState } from 'preact/hooks';
import { ApiError, getJSON, sendJSON, useRequest } from './api';
import { SubmitButton, TextField, useCheckedForm } from './fields';
import { isObject } from './json';
import { ErrorBanner, Loading, SmartLink, Table } from './layout';
import {
  emailProblem,
  fetchAllProfiles,
  type EnvInfo,
  type EnvState,
  type ProfileSummary,
  type Role,
} from './namespaces';
import { describe, Dialog, FilterBox, passesFilter, RoleMark, SelectField, useErrors } from './ui';

export type ContributorRole = 'contributor' | 'viewer';

export interface Contributor {
  user: string;
  role: ContributorRole;
}

/** The server's list (kfdash's `/api/profiles/<ns>/contributors`): `[{user, role}]`; Kubeflow's
 * shape, plain emails, means contributors. */
export function normalizeContributors(raw: unknown): Contributor[] {
  const list = Array.isArray(raw) ? raw : isObject(raw) && Array.isArray(raw.contributors) ? raw.contributors : [];
  const out: Contributor[] = [];
  for (const v of list) {
    const user = typeof v === 'string' ? v : isObject(v) && typeof v.user === 'string' ? v.user : '';
    if (!user) continue;
    const role: ContributorRole = isObject(v) && v.role === 'viewer' ? 'viewer' : 'contributor';
    out.push({ user, role });
  }
  return out.sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
}

// kfdash's own routes: Kubeflow's (/api/workgroup/...) know no viewers and answer plain emails.
const people = (ns: string) => `/api/profiles/${encodeURIComponent(ns)}/contributors`;

export async function fetchContributors(ns: string, signal?: AbortSignal): Promise<Contributor[]> {
  return normalizeContributors(await getJSON(people(ns), signal));
}

/** Adds or removes one person; resolves with the list as it is afterwards. */
async function change(ns: string, action: 'add' | 'remove', who: Contributor): Promise<Contributor[]> {
  const raw = await sendJSON(action === 'add' ? 'POST' : 'DELETE', people(ns), { user: who.user, role: who.role });
  // The server sends the updated list; an empty answer means: ask for it.
  return raw === undefined ? fetchContributors(ns) : normalizeContributors(raw);
}

const ROLE_HELP: Record<ContributorRole, string> = {
  contributor: 'Contributor: can create, change and delete things in the namespace',
  viewer: 'Viewer: can only look',
};

let cards = 0;

/** One namespace: who has access, and (when `editable`) adding and removing them. */
function NamespaceCard({ ns, myRole, owner, editable, onChanged }: {
  ns: string;
  /** What the signed-in user is here (shown in the title); absent for an admin's view of any. */
  myRole?: Role;
  /** The owner's email when known. */
  owner?: string;
  editable: boolean;
  onChanged?: (list: Contributor[]) => void;
}) {
  const [list, setList] = useState<Contributor[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<ContributorRole>('contributor');
  const [removing, setRemoving] = useState<Contributor | null>(null);
  const [removeBusy, setRemoveBusy] = useState(false);
  const [status, setStatus] = useState('');
  const { errors, report, clear } = useErrors();
  // One namespace may be on the page twice (own, and in a cluster admin's table): ids per card.
  const [uid] = useState(() => ++cards);
  const titleId = `contributors-${uid}`;
  const emailId = `add-${uid}-email`;
  const roleId = `add-${uid}-role`;

  useEffect(() => {
    const abort = new AbortController();
    setList(null);
    setLoadError(null);
    fetchContributors(ns, abort.signal)
      .then(setList)
      .catch((err) => {
        if (abort.signal.aborted) return;
        // 401: the session ended; report() sends the browser to sign in.
        if (err instanceof ApiError && err.status === 401) return void report('Could not load the list', err);
        setLoadError(err instanceof Error ? err.message : String(err));
      });
    return () => abort.abort();
  }, [ns]);

  const updated = (next: Contributor[], message: string) => {
    setList(next);
    setStatus(message);
    onChanged?.(next);
  };

  const trimmed = email.trim();
  const existing = list?.find((c) => c.user.toLowerCase() === trimmed.toLowerCase());
  const problem =
    emailProblem(trimmed) ??
    (owner && owner.toLowerCase() === trimmed.toLowerCase()
      ? `${trimmed} owns this namespace already.`
      : existing
        ? `${existing.user} is already a ${existing.role} here. To change the role, remove them first.`
        : null);
  const adding = useCheckedForm({ [emailId]: problem });
  const onAdd = adding.send(
    async () => {
      clear();
      updated(await change(ns, 'add', { user: trimmed, role }), `${trimmed} added as ${role}.`);
      setEmail('');
      adding.setTried(false);
    },
    (err) => report(`Could not add ${trimmed} to ${ns}`, err),
  );

  const onRemove = async () => {
    if (!removing) return;
    setRemoveBusy(true);
    clear();
    try {
      updated(await change(ns, 'remove', removing), `${removing.user} removed.`);
    } catch (err) {
      report(`Could not remove ${removing.user} from ${ns}`, err);
    } finally {
      setRemoveBusy(false);
      setRemoving(null);
    }
  };

  return (
    <section class="card" aria-labelledby={titleId} data-testid="contributors-card" data-namespace={ns}>
      <h2 id={titleId} class="card-title card-title-row">
        <span class="ns-name">{ns}</span>
        {myRole && (
          <span class="card-title-aside">
            you are <RoleMark role={myRole} />
          </span>
        )}
      </h2>
      {errors.length > 0 && (
        <div class="card-body card-errors">
          <ErrorBanner messages={errors} onDismiss={clear} />
        </div>
      )}
      {list === null ? (
        loadError ? (
          <p class="card-note" data-testid="contributors-error">
            The list could not be loaded: {loadError}
          </p>
        ) : (
          <Loading />
        )
      ) : (
        <Table labelledBy={titleId} columns={['Person', 'Role']} actions={editable}>
          {owner && (
            <tr data-testid="owner-row">
              <th scope="row" class="person">
                {owner}
              </th>
              <td>
                <RoleMark role="owner" />
              </td>
              {editable && <td />}
            </tr>
          )}
          {list.map((c) => (
            <tr key={c.user} data-testid="contributor-row" data-user={c.user} data-role={c.role}>
              <th scope="row" class="person">
                {c.user}
              </th>
              <td>
                <RoleMark role={c.role} />
              </td>
              {editable && (
                <td class="actions">
                  <button
                    type="button"
                    class="button danger"
                    data-testid="remove-contributor"
                    aria-label={`Remove ${c.user} from ${ns}`}
                    onClick={() => setRemoving(c)}
                  >
                    Remove
                  </button>
                </td>
              )}
            </tr>
          ))}
          {list.length === 0 && (
            <tr>
              <td colSpan={editable ? 3 : 2} class="muted note-cell" data-testid="contributors-empty">
                {editable
                  ? 'Nobody else has access yet: add people below.'
                  : 'Nobody but the owner has access.'}
              </td>
            </tr>
          )}
        </Table>
      )}
      {editable && (
        <form class="card-body inline-form" noValidate onSubmit={onAdd} data-testid="add-contributor">
          <TextField
            id={emailId}
            type="email"
            label="Email"
            name="contributor"
            placeholder="ada@example.com"
            value={email}
            error={adding.err(emailId)}
            onInput={setEmail}
          />
          <SelectField
            id={roleId}
            label="Role"
            name="role"
            value={role}
            title={ROLE_HELP[role]}
            options={[
              ['contributor', 'Contributor (can edit)'],
              ['viewer', 'Viewer (read only)'],
            ]}
            onChange={(v) => setRole(v === 'viewer' ? 'viewer' : 'contributor')}
          />
          <div class="field field-button">
            <SubmitButton busy={adding.busy} disabled={list === null} text="Add" busyText="Adding…" />
          </div>
          <p class="visually-hidden" role="status">
            {status}
          </p>
        </form>
      )}
      {removing && (
        <Dialog
          title={`Remove ${removing.user}?`}
          submitText="Remove"
          busyText="Removing…"
          danger
          busy={removeBusy}
          onSubmit={onRemove}
          onCancel={() => setRemoving(null)}
          testid="confirm-remove"
        >
          <p>
            {removing.user} will lose {removing.role === 'viewer' ? 'read' : 'edit'} access to <strong>{ns}</strong>{' '}
            at once. You can add them again later.
          </p>
        </Dialog>
      )}
    </section>
  );
}

/** A cluster admin's table of every profile, each with a way to manage it. */
function AllProfiles({ managed, onManage }: { managed: string | null; onManage: (p: ProfileSummary | null) => void }) {
  const [rows, setRows] = useState<ProfileSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [filter, setFilter] = useState('');
  useRequest(fetchAllProfiles, setRows, (err) => setError(describe(err)), []);
  const current = rows?.find((r) => r.namespace === managed) ?? null;
  const shown = rows?.filter((r) => passesFilter(filter, [r.namespace, r.owner, ...r.contributors]));
  return (
    <>
      <section class="card" aria-labelledby="all-profiles-title" data-testid="all-profiles">
        <h2 id="all-profiles-title" class="card-title">
          All profiles <span class="card-title-aside">as cluster admin</span>
        </h2>
        {rows === null ? (
          <Loading failed={!!error && `The profiles could not be loaded: ${error}`} />
        ) : (
          <>
            {rows.length > 8 && (
              <FilterBox
                id="profiles-filter"
                label="Filter profiles"
                placeholder="Filter by namespace or person"
                value={filter}
                onInput={setFilter}
              />
            )}
            <Table labelledBy="all-profiles-title" columns={['Namespace', 'Owner', 'Contributors']} actions>
              {shown!.map((r) => (
                <tr key={r.namespace} data-testid="profile-row" data-namespace={r.namespace}>
                  <th scope="row">{r.namespace}</th>
                  <td>{r.owner}</td>
                  <td class="wrap">{r.contributors.length ? r.contributors.join(', ') : <span class="muted">none</span>}</td>
                  <td class="actions">
                    <button
                      type="button"
                      class="button"
                      aria-expanded={managed === r.namespace}
                      aria-label={`Manage ${r.namespace}`}
                      onClick={() => onManage(managed === r.namespace ? null : r)}
                    >
                      {managed === r.namespace ? 'Close' : 'Manage'}
                    </button>
                  </td>
                </tr>
              ))}
            </Table>
          </>
        )}
      </section>
      {current && (
        <NamespaceCard
          key={current.namespace}
          ns={current.namespace}
          owner={current.owner}
          editable
          onChanged={(list) =>
            setRows((all) =>
              all &&
              all.map((r) => (r.namespace === current.namespace ? { ...r, contributors: list.map((c) => c.user) } : r)),
            )
          }
        />
      )}
    </>
  );
}

function Sections({ env, registerHref }: { env: EnvInfo; registerHref: string }) {
  const [managed, setManaged] = useState<string | null>(null);
  const owned = env.namespaces.filter((n) => n.role === 'owner');
  const shared = env.namespaces.filter((n) => n.role !== 'owner');
  return (
    <div class="stack">
      {owned.map((n) => (
        <NamespaceCard key={n.namespace} ns={n.namespace} myRole="owner" owner={env.user} editable />
      ))}
      {shared.map((n) => (
        <NamespaceCard key={n.namespace} ns={n.namespace} myRole={n.role} editable={env.isClusterAdmin} />
      ))}
      {env.namespaces.length === 0 && !env.isClusterAdmin && (
        <p class="card-note card" data-testid="contributors-none">
          You have no namespace yet. <SmartLink target={{ href: registerHref, mode: 'spa' }}>Create your own</SmartLink>{' '}
          or ask the owner of one to add you.
        </p>
      )}
      {env.isClusterAdmin && <AllProfiles managed={managed} onManage={(p) => setManaged(p?.namespace ?? null)} />}
    </div>
  );
}

export function ContributorsPage({ envState, registerHref }: { envState: EnvState; registerHref: string }) {
  return (
    <div class="page">
      <h1 class="page-title">Manage contributors</h1>
      <p class="page-intro">
        Contributors can work in a namespace: create, change and delete notebooks, pipelines and models. Viewers can
        only look. Only the owner of a namespace, or a cluster administrator, can change who has access.
      </p>
      {envState.status === 'ok' ? (
        <Sections env={envState.env} registerHref={registerHref} />
      ) : envState.status === 'loading' ? (
        <Loading />
      ) : (
        <p class="card-note card" data-testid="contributors-unavailable">
          {envState.status === 'unavailable'
            ? 'Namespaces are not available on this dashboard: it is not connected to a Kubernetes cluster.'
            : `Your namespaces could not be loaded: ${envState.reason}`}
        </p>
      )}
    </div>
  );
}
