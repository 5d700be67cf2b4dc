// Diagnostics (/diagnostics): GET /api/diagnostics as a page. A summary (errors, warnings, when),
// the checks with a mark each, then the findings, errors first, each with where it is, what
// Kubernetes said and the fix; a fix that is a kubectl command comes in a block to copy.

import { useEffect, useRef, useState } from 'preact/hooks';
import { getJSON } from './api';
import { Icon } from './icons';
import { asString, isObject, objects } from './json';
import { ErrorBanner } from './layout';
import { CopyButton } from './tokens';
import { useErrors } from './ui';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Finding {
  severity: 'error' | 'warning';
  title: string;
  detail: string;
  fix: string;
  namespace: string;
  object: string;
}

export interface Diagnosis {
  checkedAt: Date | null;
  checks: Check[];
  findings: Finding[];
}

export function normalizeDiagnosis(raw: unknown): Diagnosis {
  const body = isObject(raw) ? raw : {};
  const at = asString(body.checked_at) ? new Date(asString(body.checked_at)) : null;
  return {
    checkedAt: at && !Number.isNaN(at.getTime()) ? at : null,
    checks: objects(body.checks)
      .map((c) => ({ name: asString(c.name), ok: c.ok === true, detail: asString(c.detail) }))
      .filter((c) => c.name),
    findings: objects(body.findings)
      .map((f) => ({
        // Anything but "error" (a severity a newer server adds) is shown as a warning.
        severity: f.severity === 'error' ? ('error' as const) : ('warning' as const),
        title: asString(f.title),
        detail: asString(f.detail),
        fix: asString(f.fix),
        namespace: asString(f.namespace),
        object: asString(f.object),
      }))
      .filter((f) => f.title),
  };
}

/**
 * A fix as prose and, when it is or ends in a kubectl command ("Make one the default: kubectl
 * patch ..."), that command on its own, to copy.
 */
export function splitFix(fix: string): { text: string; command: string } {
  const trimmed = fix.trim();
  if (/^kubectl\s/.test(trimmed)) return { text: '', command: trimmed };
  const m = /^([^`]*?:)\s+(kubectl\s[\s\S]*)$/.exec(trimmed);
  return m ? { text: m[1], command: m[2] } : { text: trimmed, command: '' };
}

/** Prose with `backquoted` parts (commands within a sentence) as inline code. */
function Prose({ text }: { text: string }) {
  return (
    <>
      {text.split('`').map((part, i) =>
        i % 2 ? (
          <code key={i} class="diag-inline">
            {part}
          </code>
        ) : (
          part
        ),
      )}
    </>
  );
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
const DATE_TIME: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'medium' };

function FindingItem({ finding, id }: { finding: Finding; id: string }) {
  const { text, command } = splitFix(finding.fix);
  const block = useRef<HTMLElement>(null);
  const error = finding.severity === 'error';
  return (
    <li
      class={`diag-finding diag-${finding.severity}`}
      data-testid="diagnostics-finding"
      data-severity={finding.severity}
      data-object={finding.object || undefined}
      data-namespace={finding.namespace || undefined}
    >
      <h3 id={id} class="diag-finding-title">
        <Icon name={error ? 'error' : 'warning'} />
        <span>
          <span class="visually-hidden">{error ? 'Error: ' : 'Warning: '}</span>
          {finding.title}
        </span>
      </h3>
      <p class="diag-where muted">
        {finding.namespace ? (
          <>
            Namespace <span class="ns-name">{finding.namespace}</span>
          </>
        ) : (
          'Cluster-wide'
        )}
        {finding.object && (
          <>
            {' · '}
            <span class="ns-name">{finding.object}</span>
          </>
        )}
      </p>
      {finding.detail && <p class="diag-detail">{finding.detail}</p>}
      {(text || command) && (
        <div class="diag-fix" data-testid="diagnostics-fix">
          <p>
            <strong>Fix: </strong>
            <Prose text={text} />
          </p>
          {command && (
            <div class="copy-row">
              <pre class="example">
                <code data-testid="diagnostics-command" ref={block}>
                  {command}
                </code>
              </pre>
              <CopyButton text={command} label="Copy command" target={block} describedBy={id} />
            </div>
          )}
        </div>
      )}
    </li>
  );
}

function Findings({ title, findings, severity }: { title: string; findings: Finding[]; severity: string }) {
  if (findings.length === 0) return null;
  const id = `diag-${severity}s-title`;
  return (
    <section class="card" aria-labelledby={id} data-testid={`diagnostics-${severity}s`}>
      <h2 id={id} class="card-title">
        {title} ({findings.length})
      </h2>
      <ul class="diag-findings">
        {findings.map((f, i) => (
          <FindingItem key={`${i}:${f.title}`} finding={f} id={`diag-${severity}-${i}`} />
        ))}
      </ul>
    </section>
  );
}

export function DiagnosticsPage() {
  const [diagnosis, setDiagnosis] = useState<Diagnosis | null>(null);
  const [round, setRound] = useState(0);
  const [loading, setLoading] = useState(true);
  const { errors, report, clear } = useErrors();

  useEffect(() => {
    const abort = new AbortController();
    setLoading(true);
    getJSON('/api/diagnostics', abort.signal)
      .then((raw) => {
        setDiagnosis(normalizeDiagnosis(raw));
        clear();
      })
      .catch((err) => {
        if (!abort.signal.aborted) report('Could not run the diagnostics', err);
      })
      .finally(() => {
        if (!abort.signal.aborted) setLoading(false);
      });
    return () => abort.abort();
  }, [round]);

  const errorsFound = diagnosis?.findings.filter((f) => f.severity === 'error') ?? [];
  const warningsFound = diagnosis?.findings.filter((f) => f.severity === 'warning') ?? [];
  const failed = diagnosis?.checks.filter((c) => !c.ok).length ?? 0;

  return (
    <div class="page">
      <h1 class="page-title">Diagnostics</h1>
      <p class="page-intro">
        What commonly keeps notebooks from starting, and whether the services the dashboard needs answer. You see
        the problems of the namespaces you work in and those of the whole cluster.
      </p>
      <ErrorBanner messages={errors} onDismiss={clear} />
      <div class="diag-bar">
        <p class="diag-summary" role="status" data-testid="diagnostics-summary" aria-busy={loading || undefined}>
          {diagnosis ? (
            <>
              <span class={errorsFound.length ? 'diag-count-error' : undefined}>
                {plural(errorsFound.length, 'error')}
              </span>
              , {plural(warningsFound.length, 'warning')}
              {diagnosis.checkedAt && (
                <>
                  {' '}
                  · checked at{' '}
                  <time dateTime={diagnosis.checkedAt.toISOString()}>
                    {diagnosis.checkedAt.toLocaleString(undefined, DATE_TIME)}
                  </time>
                </>
              )}
            </>
          ) : loading ? (
            'Checking…'
          ) : (
            'The diagnostics could not be run.'
          )}
        </p>
        <button
          type="button"
          class="button"
          disabled={loading}
          onClick={() => setRound((r) => r + 1)}
          data-testid="diagnostics-check-again"
        >
          <Icon name="refresh" />
          {loading && diagnosis ? 'Checking…' : 'Check again'}
        </button>
      </div>
      {diagnosis && (
        <div class="stack">
          <section class="card" aria-labelledby="diag-checks-title">
            <h2 id="diag-checks-title" class="card-title">
              Checks{failed ? ` (${failed} failed)` : ''}
            </h2>
            <ul class="diag-checks">
              {diagnosis.checks.map((c) => (
                <li
                  key={c.name}
                  class={c.ok ? 'diag-check' : 'diag-check diag-failed'}
                  data-testid="diagnostics-check"
                  data-name={c.name}
                  data-ok={String(c.ok)}
                >
                  <Icon name={c.ok ? 'check-circle' : 'error'} />
                  <span class="diag-check-name">
                    <span class="visually-hidden">{c.ok ? 'OK: ' : 'Failed: '}</span>
                    {c.name}
                  </span>
                  <span class="diag-check-detail">{c.detail}</span>
                </li>
              ))}
            </ul>
          </section>
          {diagnosis.findings.length === 0 ? (
            <section class="card" aria-label="Findings">
              <p class="card-note diag-none" data-testid="diagnostics-empty">
                <Icon name="check-circle" />
                No problems found
              </p>
            </section>
          ) : (
            <>
              <Findings title="Errors" findings={errorsFound} severity="error" />
              <Findings title="Warnings" findings={warningsFound} severity="warning" />
            </>
          )}
        </div>
      )}
    </div>
  );
}
