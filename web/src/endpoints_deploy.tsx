// Deploying an MLflow model version as a KServe endpoint in one step, for any page that shows
// registered model versions (the MLflow pages use <DeployModelVersionButton>): a Deploy button,
// a dialog asking the endpoint's name (suggested from the model), then POST
// /api/namespaces/<ns>/inferenceservices {"name", "fromMlflow": {"model", "version"}}; the server
// asks MLflow where the version's artifacts are and creates the InferenceService as the user.
// Once created the browser goes to the endpoint's page, where it becomes ready.

import { useState } from 'preact/hooks';
import { ApiError, sendJSON } from './api';
import { TextField, useCheckedForm } from './fields';
import { withNamespaceQuery } from './links';
import { ENDPOINTS_PATH, NEW_ENDPOINT_PATH, navigate } from './router';
import { Dialog } from './ui';

/** The server's limit (k8s/isvc.c): a DNS-1035 label. */
export const ENDPOINT_NAME_MAX = 63;

const enc = encodeURIComponent;
const DNS_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

export const endpointsApi = (ns: string) => `/api/namespaces/${enc(ns)}/inferenceservices`;
export const endpointHref = (ns: string, name: string) =>
  withNamespaceQuery(`${ENDPOINTS_PATH}/details/${enc(name)}`, ns);
/** The create form, with a model version already chosen. */
export const deployHref = (ns: string, model: string, version: string) =>
  withNamespaceQuery(`${NEW_ENDPOINT_PATH}?model=${enc(model)}&version=${enc(version)}`, ns);

/** Why `name` cannot name an endpoint, or null. */
export function endpointNameProblem(name: string): string | null {
  if (!name) return 'Give the endpoint a name.';
  if (name.length > ENDPOINT_NAME_MAX) {
    return `The name can be at most ${ENDPOINT_NAME_MAX} characters long (it has ${name.length}).`;
  }
  if (!DNS_1035.test(name)) {
    return 'Use lowercase letters, digits and dashes, starting with a letter and ending with a letter or digit.';
  }
  return null;
}

/** An endpoint name for a model version: the model's name made a DNS label, with the version. */
export function suggestName(model: string, version: string): string {
  const suffix = `-v${version.replace(/[^0-9]/g, '')}`;
  let base = model
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+$/, '');
  base = base.slice(0, ENDPOINT_NAME_MAX - suffix.length).replace(/-+$/, '') || 'model';
  return base + suffix;
}

/** Creates the endpoint of an MLflow model version; rejects with the server's reason. */
export async function deployModelVersion(ns: string, name: string, model: string, version: string): Promise<void> {
  await sendJSON('POST', endpointsApi(ns), { name, fromMlflow: { model, version } });
}

/** What a failed deploy is called: the name is taken (409), or the server's reason. */
export function deployFailure(err: unknown, name: string, ns: string): string {
  if (err instanceof ApiError && err.status === 409) return `An endpoint named ${name} exists already in ${ns}: pick another name.`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * "Deploy" for one registered MLflow model version of namespace `ns` (its MLflow workspace):
 * asks the endpoint's name, creates it, and opens its page. Show it to those who may create
 * InferenceServices in ns (the server refuses the others anyway).
 */
export function DeployModelVersionButton({ ns, model, version, class: className }: {
  ns: string;
  model: string;
  version: string;
  class?: string;
}) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [failure, setFailure] = useState<string | null>(null);
  const { busy, err, setTried, send } = useCheckedForm({ 'deploy-name': endpointNameProblem(name) });
  const start = () => {
    setName(suggestName(model, version));
    setTried(false);
    setFailure(null);
    setOpen(true);
  };
  const submit = send(
    async () => {
      setFailure(null);
      await deployModelVersion(ns, name, model, version);
      setOpen(false);
      navigate(endpointHref(ns, name));
    },
    (e) => setFailure(deployFailure(e, name, ns)),
  );
  return (
    <>
      <button
        type="button"
        class={className ?? 'button'}
        aria-label={`Deploy ${model} version ${version}`}
        onClick={start}
      >
        Deploy
      </button>
      {open && (
        <Dialog
          title={`Deploy ${model} version ${version}`}
          submitText="Deploy"
          busyText="Deploying…"
          busy={busy}
          onSubmit={submit}
          onCancel={() => setOpen(false)}
          testid="deploy-dialog"
        >
          <p>
            A KServe endpoint in <strong>{ns}</strong> serves this version with MLServer (protocol V2), from
            the artifacts MLflow keeps for it.
          </p>
          <TextField
            id="deploy-name"
            label="Endpoint name"
            hint={`Lowercase letters, digits and dashes; at most ${ENDPOINT_NAME_MAX}.`}
            value={name}
            error={err('deploy-name')}
            onInput={(v) => setName(v.trim())}
          />
          {failure && (
            <p class="field-error" role="alert" data-testid="deploy-error">
              {failure}
            </p>
          )}
        </Dialog>
      )}
    </>
  );
}
