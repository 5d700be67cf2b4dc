// Talking to the kfdash server. Every call either resolves with parsed JSON or rejects with an
// ApiError whose message is fit for the error banner; nothing here touches the DOM.

import {
  normalizeLinks,
  normalizeSettings,
  type DashboardLinks,
  type DashboardSettings,
} from './links';

export class ApiError extends Error {
  /** HTTP status, or 0 when the server could not be reached or answered garbage. */
  readonly status: number;

  constructor(message: string, status: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

/** GETs a JSON document; server errors come as `{"error": "..."}` with a 4xx/5xx status. */
export async function getJSON(path: string, signal?: AbortSignal): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(path, {
      headers: { Accept: 'application/json' },
      credentials: 'same-origin',
      signal,
    });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new ApiError(`${path}: the server could not be reached`, 0);
  }
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // Fall through: a non-JSON body is reported below.
  }
  if (!res.ok) {
    const reason =
      typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string'
        ? (body as { error: string }).error
        : res.statusText || 'request failed';
    throw new ApiError(`${path}: ${reason} (HTTP ${res.status})`, res.status);
  }
  if (body === undefined) throw new ApiError(`${path}: the server sent no JSON`, res.status);
  return body;
}

export async function fetchDashboardLinks(signal?: AbortSignal): Promise<DashboardLinks> {
  return normalizeLinks(await getJSON('/api/dashboard-links', signal));
}

export async function fetchDashboardSettings(signal?: AbortSignal): Promise<DashboardSettings> {
  return normalizeSettings(await getJSON('/api/dashboard-settings', signal));
}
