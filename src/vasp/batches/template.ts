import { createHmac } from 'node:crypto';
import { Liquid, type Template } from 'liquidjs';

/**
 * Text and subject of a batch are Liquid templates (liquidjs): parsed once per batch, rendered per
 * recipient with the batch's defaults overlaid by the recipient's variables. Strict on both ends:
 * an unknown filter refuses the batch at upload; a variable that neither the recipient nor the
 * defaults give fails that recipient only (unless the template guards it: `{% if x %}` and the
 * `default` filter are allowed to see an absent variable). No file access: include, render and
 * layout find nothing.
 */
const noFiles = {
  exists: async () => false,
  existsSync: () => false,
  readFile: async (f: string) => {
    throw new Error(`templates cannot read files (${f})`);
  },
  readFileSync: (f: string) => {
    throw new Error(`templates cannot read files (${f})`);
  },
  resolve: (_dir: string, file: string) => file,
};

export const liquid = new Liquid({
  strictFilters: true,
  strictVariables: true,
  lenientIf: true,
  ownPropertyOnly: true,
  fs: noFiles,
  cache: false,
  relativeReference: false,
  // Bounds per template: a VASP's template must not stall a node.
  parseLimit: 64 * 1024,
  renderLimit: 200,
  memoryLimit: 1_000_000,
});

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

export type Compiled = Template[] | string;

/** Parses a template; a string without Liquid markup stays a string (nothing to render). */
export function compile(source: string, field: string): Compiled {
  if (!source.includes('{{') && !source.includes('{%')) return source;
  try {
    return liquid.parse(source);
  } catch (e) {
    throw new TemplateError(`${field}: ${(e as Error).message}`);
  }
}

export class RenderError extends Error {
  override readonly name = 'RenderError';
  constructor(
    readonly reason: 'missing-variable' | 'template',
    message: string,
  ) {
    super(message);
  }
}

export function render(t: Compiled, vars: Record<string, unknown>): string {
  if (typeof t === 'string') return t;
  try {
    return String(liquid.renderSync(t, vars));
  } catch (e) {
    const err = e as Error & { originalError?: Error };
    const inner = err.originalError ?? err;
    if (/undefined variable/i.test(err.message) || inner.name === 'UndefinedVariableError') throw new RenderError('missing-variable', err.message);
    throw new RenderError('template', err.message);
  }
}

/** http(s) URLs in a text, without the punctuation that usually follows a link in a sentence. */
const URL_RE = /\bhttps?:\/\/[^\s<>"']+/gi;

function trimUrl(u: string): string {
  let s = u;
  for (;;) {
    const last = s[s.length - 1];
    if (last && '.,;:!?'.includes(last)) s = s.slice(0, -1);
    else if (last === ')' && (s.match(/\(/g)?.length ?? 0) < (s.match(/\)/g)?.length ?? 0)) s = s.slice(0, -1);
    else if ((last === ']' || last === '}') && !s.includes(last === ']' ? '[' : '{')) s = s.slice(0, -1);
    else return s;
  }
}

/**
 * The tracked-link code of link `k` of row `row`: 96 bits of HMAC-SHA256 under the batch's own
 * random key, base64url (16 characters). Unguessable to anyone without the key, and the same every
 * time the row is rendered, so a release repeated after a crash writes the same message.
 */
export function linkCode(key: string, row: number, k: number): string {
  return createHmac('sha256', Buffer.from(key, 'base64url')).update(`${row}:${k}`).digest().subarray(0, 12).toString('base64url');
}

/** Replaces each link of `text` by `<base>/l/<code>`; returns the new text and the links in order. */
export function rewriteLinks(text: string, code: (k: number) => string, base: string): { text: string; links: { code: string; url: string }[] } {
  const links: { code: string; url: string }[] = [];
  const out = text.replace(URL_RE, (m) => {
    const url = trimUrl(m);
    const c = code(links.length);
    links.push({ code: c, url });
    return `${base}/l/${c}${m.slice(url.length)}`;
  });
  return { text: out, links };
}
