// Reading the JSON the server sends (its own, or a peer's passed on: Kubernetes, KServe, MLflow):
// every answer is `unknown` until one of these says what a value holds. A reader never throws;
// a value that is missing or of another type reads as the stated default. Every module reads
// through these, so that one name always means one rule. Part of the first load (api.ts uses it).

/** A JSON object, its fields still unread. */
export type Json = Record<string, unknown>;

/** A JSON object (not null, not an array). */
export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A string, or '' for anything else: for fields where absent and empty mean the same. */
export const asString = (v: unknown): string => (typeof v === 'string' ? v : '');

/** A string, or undefined for anything else: for fields where '' is a value of its own. */
export const optionalString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * A string, or a number written as one, or '' for anything else: for APIs that send the same field
 * either way (MLflow's ids and versions, a Spark application's memory "512m" or 512).
 */
export const looseString = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

/** A finite number, or 0 for anything else: for counts where absent means none. */
export const asNumber = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** A finite number, or null for anything else: for values (times) where absent is not zero. */
export const numberOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * A finite number, or a string holding one (MLflow sends int64 values as JSON strings), or null
 * for anything else.
 */
export function looseNumber(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
}

/** An array as it is, or [] for anything else. */
export const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The objects of an array, the other elements dropped; [] for anything but an array. */
export const objects = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);

/** The strings of an array, the other elements dropped; [] for anything but an array. */
export const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
