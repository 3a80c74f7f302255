/**
 * A small declarative validator for the configuration tree. Every key has a rule; unknown keys are
 * errors so that a typo in a config file is reported instead of silently ignored.
 */

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`config ${key}: ${message}`);
    this.name = 'ConfigError';
  }
}

export type Rule =
  | { kind: 'string'; pattern?: RegExp; oneOf?: readonly string[]; optional?: boolean; hint?: string }
  | { kind: 'number'; min?: number; max?: number; integer?: boolean; optional?: boolean }
  | { kind: 'boolean'; optional?: boolean }
  | { kind: 'array'; of: Rule; maxItems?: number; optional?: boolean }
  | { kind: 'object'; fields: Record<string, Rule>; optional?: boolean }
  | { kind: 'record'; of: Rule; optional?: boolean }
  | { kind: 'any'; optional?: boolean; check?: (value: unknown, key: string) => void };

export const str = (opts: Omit<Extract<Rule, { kind: 'string' }>, 'kind'> = {}): Rule => ({ kind: 'string', ...opts });
export const num = (opts: Omit<Extract<Rule, { kind: 'number' }>, 'kind'> = {}): Rule => ({ kind: 'number', ...opts });
export const int = (min?: number, max?: number): Rule => ({ kind: 'number', integer: true, min, max });
export const bool = (): Rule => ({ kind: 'boolean' });
export const arr = (of: Rule, maxItems?: number): Rule => ({ kind: 'array', of, maxItems });
export const obj = (fields: Record<string, Rule>): Rule => ({ kind: 'object', fields });
export const opt = (rule: Rule): Rule => ({ ...rule, optional: true }) as Rule;

/** Checks `value` against `rule`, throwing a ConfigError that names the first bad key. */
export function check(rule: Rule, value: unknown, key: string): void {
  if (value === undefined || value === null) {
    if (rule.optional) return;
    throw new ConfigError(key, 'is required');
  }
  switch (rule.kind) {
    case 'string':
      if (typeof value !== 'string') throw new ConfigError(key, `must be a string, got ${describe(value)}`);
      if (rule.oneOf && !rule.oneOf.includes(value)) {
        throw new ConfigError(key, `must be one of ${rule.oneOf.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(value)}`);
      }
      if (rule.pattern && !rule.pattern.test(value)) {
        throw new ConfigError(key, `${JSON.stringify(value)} is not valid${rule.hint ? ` (${rule.hint})` : ''}`);
      }
      return;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new ConfigError(key, `must be a number, got ${describe(value)}`);
      if (rule.integer && !Number.isInteger(value)) throw new ConfigError(key, `must be an integer, got ${value}`);
      if (rule.min !== undefined && value < rule.min) throw new ConfigError(key, `must be >= ${rule.min}, got ${value}`);
      if (rule.max !== undefined && value > rule.max) throw new ConfigError(key, `must be <= ${rule.max}, got ${value}`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') throw new ConfigError(key, `must be true or false, got ${describe(value)}`);
      return;
    case 'array':
      if (!Array.isArray(value)) throw new ConfigError(key, `must be a list, got ${describe(value)}`);
      if (rule.maxItems !== undefined && value.length > rule.maxItems) throw new ConfigError(key, `has more than ${rule.maxItems} items`);
      value.forEach((v, i) => check(rule.of, v, `${key}[${i}]`));
      return;
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(key, `must be an object, got ${describe(value)}`);
      const rec = value as Record<string, unknown>;
      for (const k of Object.keys(rec)) {
        if (!(k in rule.fields)) throw new ConfigError(join(key, k), 'is not a known setting');
      }
      for (const [k, r] of Object.entries(rule.fields)) check(r, rec[k], join(key, k));
      return;
    }
    case 'record': {
      if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(key, `must be an object, got ${describe(value)}`);
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) check(rule.of, v, join(key, k));
      return;
    }
    case 'any':
      rule.check?.(value, key);
      return;
  }
}

function join(key: string, k: string): string {
  return key ? `${key}.${k}` : k;
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return JSON.stringify(v);
  return typeof v;
}

/** Deep merge of plain objects; arrays and scalars in `over` replace those in `base`. */
export function merge<T>(base: T, over: unknown): T {
  if (over === undefined) return base;
  if (!isPlain(base) || !isPlain(over)) return over as T;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) {
    out[k] = k in out ? merge(out[k], v) : v;
  }
  return out as T;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}
