// The namespace selector of the top bar, and what stands in its place for a user with no
// namespace: a way to create one (registration allowed) or whom to ask.

import { ALL_NAMESPACES } from './iframe_protocol';
import { SmartLink } from './layout';
import { ROLE_TEXT, type NamespaceEntry } from './namespaces';

export function NamespaceSelector({ choices, ns, offerAll, canRegister, registerHref, onSelect }: {
  /** null while env-info is pending, or when there are no profiles here (no Kubernetes API). */
  choices: NamespaceEntry[] | null;
  /** The selected namespace, or ALL_NAMESPACES. */
  ns: string;
  /** Offer ALL_NAMESPACES first: the iframe view shows an app that can list every namespace. */
  offerAll: boolean;
  /** Needed only when choices is empty: may this user create a namespace? null: not known yet. */
  canRegister: boolean | null;
  registerHref: string;
  onSelect: (ns: string) => void;
}) {
  if (choices === null) return null;
  if (choices.length === 0) {
    if (canRegister === null) return null;
    return canRegister ? (
      <span class="ns-empty" data-testid="namespace-empty">
        <SmartLink target={{ href: registerHref, mode: 'spa' }} class="ns-create">
          Create your namespace
        </SmartLink>
      </span>
    ) : (
      <span
        class="ns-empty"
        data-testid="namespace-empty"
        title="Ask an administrator to create a namespace for you or to add you to one."
      >
        No namespace
      </span>
    );
  }
  const known = choices.some((c) => c.namespace === ns);
  const current = choices.find((c) => c.namespace === ns);
  return (
    <div class="ns-picker">
      <label for="ns-select" class="ns-label">
        Namespace
      </label>
      <select
        id="ns-select"
        class="ns-select"
        data-testid="namespace-selector"
        data-role={current?.role ?? ''}
        value={ns}
        onChange={(e) => onSelect(e.currentTarget.value)}
      >
        {offerAll && <option value={ALL_NAMESPACES}>{ALL_NAMESPACES}</option>}
        {!known && ns && ns !== ALL_NAMESPACES && <option value={ns}>{ns} · no role</option>}
        {choices.map((c) => (
          <option key={c.namespace} value={c.namespace} data-role={c.role}>
            {c.namespace} · {ROLE_TEXT[c.role]}
          </option>
        ))}
      </select>
    </div>
  );
}

/** The Home page's word to a user who has no namespace yet. */
export function NoNamespaceNotice({ canRegister, registerHref }: { canRegister: boolean; registerHref: string }) {
  return (
    <section class="card notice-card" aria-labelledby="no-ns-title" data-testid="home-no-namespace">
      <h2 id="no-ns-title" class="card-title">
        You have no namespace yet
      </h2>
      <div class="card-body">
        {canRegister ? (
          <>
            <p>
              A namespace is where your notebooks, pipelines and models live. Create your own: you will be its owner
              and can invite others to it.
            </p>
            <SmartLink target={{ href: registerHref, mode: 'spa' }} class="button primary">
              Create your namespace
            </SmartLink>
          </>
        ) : (
          <p>
            Ask an administrator to create a namespace for you, or the owner of a namespace to add you as a
            contributor.
          </p>
        )}
      </div>
    </section>
  );
}
