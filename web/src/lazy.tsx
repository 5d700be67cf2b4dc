// Pages that not everyone opens (contributors, activity, users, registration, diagnostics, the
// workload and MLflow pages: routes.ts says which) are separate chunks, fetched on the first
// visit, so the first load stays small. A failed fetch
// (typically: the dashboard was updated and the old chunk is gone) says to reload instead of
// showing nothing.

import { h, type ComponentType, type FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ErrorBanner, Loading } from './layout';

export function lazyPage<P extends object>(load: () => Promise<ComponentType<P>>): FunctionComponent<P> {
  let loaded: ComponentType<P> | null = null;
  let pending: Promise<ComponentType<P>> | null = null;

  return function LazyPage(props: P) {
    const [, setReady] = useState(false);
    const [error, setError] = useState<string | null>(null);
    useEffect(() => {
      if (loaded) return;
      let live = true;
      pending ??= load();
      pending.then(
        (page) => {
          loaded = page;
          if (live) setReady(true);
        },
        (err: unknown) => {
          pending = null; // The next visit tries again.
          if (live) {
            setError(
              `This page could not be loaded (${err instanceof Error ? err.message : String(err)}). ` +
                'The dashboard may have been updated: reload the page.',
            );
          }
        },
      );
      return () => {
        live = false;
      };
    }, []);
    if (loaded) return h(loaded, props);
    return (
      <div class="page">
        {error ? <ErrorBanner messages={[error]} onDismiss={() => setError(null)} /> : <Loading />}
      </div>
    );
  };
}
