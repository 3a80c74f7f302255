import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { BEHAVIOURS, DEVICE_CLASSES, Handset, type Behaviour, type HandsetDirectory, type Incoming, type IncomingState, type Sent } from './handset.js';
import type { Mm1Client } from './mm1-client.js';
import type { SmscSimulator } from '../smsc-sim/simulator.js';

/**
 * Scenario files (JSON): handsets, steps run in order, expectations checked at the end (or inline as
 * an `expect` step). README "Handset emulator" documents the format; config/scenarios/ has examples.
 */
export interface Scenario {
  name: string;
  /** How long one wait (for a notification, a report, a state) may take. */
  timeoutMs: number;
  handsets: Record<string, HandsetSpec>;
  steps: Step[];
  expect: Expectation[];
}

export interface HandsetSpec {
  msisdn: string;
  behaviour?: Behaviour;
  deviceClass?: string;
  userAgent?: string;
  uaProf?: string;
  slowDelayMs?: number;
  reportsTo?: 'mmsc' | 'content-location';
}

export interface SendStep {
  id: string;
  from: string;
  to: string[];
  cc?: string[];
  bcc?: string[];
  subject?: string;
  text?: string;
  /** Paths relative to the scenario file. */
  files?: string[];
  deliveryReport?: boolean;
  readReport?: boolean;
  expirySeconds?: number;
}

export type Step =
  | { send: SendStep }
  | { retrieve: { by: string; message: string } }
  | { readReport: { by: string; message: string; status?: 'read' | 'deleted' } }
  | { forward: { id: string; by: string; message: string; to: string[]; deliveryReport?: boolean } }
  | { smsc: 'outage' | 'restore' }
  | { wait: { ms: number } }
  | { expect: Expectation };

export type Expectation =
  /** The MMSC's answer to a send or forward (X-Mms-Response-Status). */
  | { conf: string; status: string }
  /** What a handset made of a message: its state, its notification, its content. */
  | { handset: string; message: string; state?: IncomingState | 'none'; minSegments?: number; text?: string; parts?: number }
  | { handset: string; deliveryReport: { message: string; from: string; status: string } }
  | { handset: string; readReport: { message: string; from: string; status: string } };

export interface ExpectationResult {
  description: string;
  pass: boolean;
  detail?: string;
}

export interface ScenarioResult {
  name: string;
  pass: boolean;
  results: ExpectationResult[];
  /** A step that could not run (the scenario stopped there). */
  error?: string;
}

export interface ScenarioEnv {
  client: Mm1Client;
  directory: HandsetDirectory;
  /** Needed only by `smsc` steps (outage/restore of the in-process simulator). */
  simulator?: SmscSimulator;
  /** Where `files` are resolved from. */
  baseDir: string;
  /** Progress lines (pass/fail as they happen). */
  print?: (line: string) => void;
}

const MAX_HANDSETS = 1000;
const MAX_STEPS = 10_000;

export class ScenarioError extends Error {
  constructor(where: string, problem: string) {
    super(`${where}: ${problem}`);
    this.name = 'ScenarioError';
  }
}

// ---------------------------------------------------------------------------------------- parsing

type Json = Record<string, unknown>;

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function keysOnly(o: Json, where: string, allowed: string[]): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new ScenarioError(where, `unknown key ${JSON.stringify(k)} (known: ${allowed.join(', ')})`);
}

function str(o: Json, k: string, where: string, required = true): string | undefined {
  const v = o[k];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || v === '') throw new ScenarioError(`${where}.${k}`, 'must be a non-empty string');
  return v;
}

function strList(o: Json, k: string, where: string, required = true): string[] | undefined {
  const v = o[k];
  if (v === undefined && !required) return undefined;
  if (!Array.isArray(v) || v.length === 0 || v.length > 100 || v.some((x) => typeof x !== 'string' || x === '')) throw new ScenarioError(`${where}.${k}`, 'must be a list of 1..100 strings');
  return v as string[];
}

function bool(o: Json, k: string, where: string): boolean | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new ScenarioError(`${where}.${k}`, 'must be true or false');
  return v;
}

function num(o: Json, k: string, where: string, min: number, max: number, required = false): number | undefined {
  const v = o[k];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new ScenarioError(`${where}.${k}`, `must be a number in ${min}..${max}`);
  return v;
}

const STATES: readonly (IncomingState | 'none')[] = ['none', 'notified', 'deferred', 'rejected', 'retrieving', 'retrieved', 'acknowledged', 'failed'];

/** Validates a parsed scenario file; every problem names where it is. */
export function parseScenario(input: unknown, name = 'scenario'): Scenario {
  if (!isObj(input)) throw new ScenarioError(name, 'must be a JSON object');
  keysOnly(input, name, ['name', 'description', 'timeoutMs', 'handsets', 'steps', 'expect']);
  const hs = input.handsets;
  if (!isObj(hs) || Object.keys(hs).length === 0 || Object.keys(hs).length > MAX_HANDSETS) throw new ScenarioError('handsets', `must be an object of 1..${MAX_HANDSETS} handsets by name`);
  const handsets: Record<string, HandsetSpec> = {};
  const numbers = new Set<string>();
  for (const [hn, spec] of Object.entries(hs)) {
    const w = `handsets.${hn}`;
    if (!isObj(spec)) throw new ScenarioError(w, 'must be an object');
    keysOnly(spec, w, ['msisdn', 'behaviour', 'deviceClass', 'userAgent', 'uaProf', 'slowDelayMs', 'reportsTo']);
    const msisdn = str(spec, 'msisdn', w)!;
    if (!/^\+\d{4,15}$/.test(msisdn)) throw new ScenarioError(`${w}.msisdn`, "must be '+' and 4-15 digits");
    if (numbers.has(msisdn)) throw new ScenarioError(`${w}.msisdn`, `${msisdn} is used by another handset`);
    numbers.add(msisdn);
    const behaviour = str(spec, 'behaviour', w, false);
    if (behaviour !== undefined && !BEHAVIOURS.includes(behaviour as Behaviour)) throw new ScenarioError(`${w}.behaviour`, `must be one of ${BEHAVIOURS.join(', ')}`);
    const reportsTo = str(spec, 'reportsTo', w, false);
    if (reportsTo !== undefined && reportsTo !== 'mmsc' && reportsTo !== 'content-location') throw new ScenarioError(`${w}.reportsTo`, "must be 'mmsc' or 'content-location'");
    const deviceClass = str(spec, 'deviceClass', w, false);
    if (deviceClass !== undefined && !(deviceClass in DEVICE_CLASSES)) throw new ScenarioError(`${w}.deviceClass`, `must be one of ${Object.keys(DEVICE_CLASSES).join(', ')}`);
    handsets[hn] = {
      msisdn,
      behaviour: behaviour as Behaviour | undefined,
      deviceClass,
      userAgent: str(spec, 'userAgent', w, false),
      uaProf: str(spec, 'uaProf', w, false),
      slowDelayMs: num(spec, 'slowDelayMs', w, 0, 60_000),
      reportsTo: reportsTo as HandsetSpec['reportsTo'],
    };
  }
  const handset = (v: string | undefined, where: string): string => {
    if (v === undefined || !(v in handsets)) throw new ScenarioError(where, `${JSON.stringify(v)} is not a handset of this scenario`);
    return v;
  };
  /** Recipients: a handset name, or an address (number / e-mail) outside the scenario. */
  const recipients = (list: string[] | undefined): string[] | undefined => list;
  const ids = new Set<string>();
  const message = (v: string | undefined, where: string): string => {
    if (v === undefined || !ids.has(v)) throw new ScenarioError(where, `${JSON.stringify(v)} is not the id of an earlier send or forward`);
    return v;
  };
  const newId = (v: string | undefined, where: string): string => {
    if (ids.has(v!)) throw new ScenarioError(where, `id ${JSON.stringify(v)} is used twice`);
    ids.add(v!);
    return v!;
  };

  const parseExpectation = (e: unknown, w: string): Expectation => {
    if (!isObj(e)) throw new ScenarioError(w, 'must be an object');
    if ('conf' in e) {
      keysOnly(e, w, ['conf', 'status']);
      return { conf: message(str(e, 'conf', w), `${w}.conf`), status: str(e, 'status', w)! };
    }
    const h = handset(str(e, 'handset', w), `${w}.handset`);
    if ('deliveryReport' in e || 'readReport' in e) {
      const kind = 'deliveryReport' in e ? 'deliveryReport' : 'readReport';
      keysOnly(e, w, ['handset', kind]);
      const r = e[kind];
      if (!isObj(r)) throw new ScenarioError(`${w}.${kind}`, 'must be an object');
      keysOnly(r, `${w}.${kind}`, ['message', 'from', 'status']);
      const rep = { message: message(str(r, 'message', `${w}.${kind}`), `${w}.${kind}.message`), from: handset(str(r, 'from', `${w}.${kind}`), `${w}.${kind}.from`), status: str(r, 'status', `${w}.${kind}`)! };
      return kind === 'deliveryReport' ? { handset: h, deliveryReport: rep } : { handset: h, readReport: rep };
    }
    keysOnly(e, w, ['handset', 'message', 'state', 'minSegments', 'text', 'parts']);
    const state = str(e, 'state', w, false);
    if (state !== undefined && !STATES.includes(state as IncomingState)) throw new ScenarioError(`${w}.state`, `must be one of ${STATES.join(', ')}`);
    const out: Expectation = { handset: h, message: message(str(e, 'message', w), `${w}.message`) };
    if (state !== undefined) out.state = state as IncomingState;
    const seg = num(e, 'minSegments', w, 1, 255);
    if (seg !== undefined) out.minSegments = seg;
    const text = e.text;
    if (text !== undefined) {
      if (typeof text !== 'string') throw new ScenarioError(`${w}.text`, 'must be a string');
      out.text = text;
    }
    const parts = num(e, 'parts', w, 0, 1000);
    if (parts !== undefined) out.parts = parts;
    return out;
  };

  const stepsIn = input.steps;
  if (!Array.isArray(stepsIn) || stepsIn.length === 0 || stepsIn.length > MAX_STEPS) throw new ScenarioError('steps', `must be a list of 1..${MAX_STEPS} steps`);
  const steps: Step[] = stepsIn.map((s, i): Step => {
    const w = `steps[${i}]`;
    if (!isObj(s) || Object.keys(s).length !== 1) throw new ScenarioError(w, 'must be an object with one key (send, retrieve, readReport, forward, smsc, wait, expect)');
    const [kind, body] = Object.entries(s)[0]!;
    const wk = `${w}.${kind}`;
    switch (kind) {
      case 'send': {
        if (!isObj(body)) throw new ScenarioError(wk, 'must be an object');
        keysOnly(body, wk, ['id', 'from', 'to', 'cc', 'bcc', 'subject', 'text', 'files', 'deliveryReport', 'readReport', 'expirySeconds']);
        const send: SendStep = { id: newId(str(body, 'id', wk), `${wk}.id`), from: handset(str(body, 'from', wk), `${wk}.from`), to: recipients(strList(body, 'to', wk))! };
        const cc = recipients(strList(body, 'cc', wk, false));
        if (cc) send.cc = cc;
        const bcc = recipients(strList(body, 'bcc', wk, false));
        if (bcc) send.bcc = bcc;
        if (body.subject !== undefined) send.subject = str(body, 'subject', wk);
        if (body.text !== undefined) {
          if (typeof body.text !== 'string' || body.text.length > 100_000) throw new ScenarioError(`${wk}.text`, 'must be a string of at most 100000 characters');
          send.text = body.text;
        }
        const files = strList(body, 'files', wk, false);
        if (files) send.files = files;
        const dr = bool(body, 'deliveryReport', wk);
        if (dr !== undefined) send.deliveryReport = dr;
        const rr = bool(body, 'readReport', wk);
        if (rr !== undefined) send.readReport = rr;
        const ex = num(body, 'expirySeconds', wk, 1, 365 * 86_400);
        if (ex !== undefined) send.expirySeconds = ex;
        return { send };
      }
      case 'retrieve':
      case 'readReport':
      case 'forward': {
        if (!isObj(body)) throw new ScenarioError(wk, 'must be an object');
        if (kind === 'retrieve') {
          keysOnly(body, wk, ['by', 'message']);
          return { retrieve: { by: handset(str(body, 'by', wk), `${wk}.by`), message: message(str(body, 'message', wk), `${wk}.message`) } };
        }
        if (kind === 'readReport') {
          keysOnly(body, wk, ['by', 'message', 'status']);
          const status = str(body, 'status', wk, false);
          if (status !== undefined && status !== 'read' && status !== 'deleted') throw new ScenarioError(`${wk}.status`, 'must be read or deleted');
          return { readReport: { by: handset(str(body, 'by', wk), `${wk}.by`), message: message(str(body, 'message', wk), `${wk}.message`), status: status as 'read' | 'deleted' | undefined } };
        }
        keysOnly(body, wk, ['id', 'by', 'message', 'to', 'deliveryReport']);
        const by = handset(str(body, 'by', wk), `${wk}.by`);
        const msg = message(str(body, 'message', wk), `${wk}.message`);
        return { forward: { id: newId(str(body, 'id', wk), `${wk}.id`), by, message: msg, to: recipients(strList(body, 'to', wk))!, deliveryReport: bool(body, 'deliveryReport', wk) } };
      }
      case 'smsc':
        if (body !== 'outage' && body !== 'restore') throw new ScenarioError(wk, 'must be "outage" or "restore"');
        return { smsc: body };
      case 'wait':
        if (!isObj(body)) throw new ScenarioError(wk, 'must be an object');
        keysOnly(body, wk, ['ms']);
        return { wait: { ms: num(body, 'ms', wk, 0, 600_000, true)! } };
      case 'expect':
        return { expect: parseExpectation(body, wk) };
      default:
        throw new ScenarioError(w, `unknown step ${JSON.stringify(kind)} (send, retrieve, readReport, forward, smsc, wait, expect)`);
    }
  });
  const expIn = input.expect ?? [];
  if (!Array.isArray(expIn) || expIn.length > MAX_STEPS) throw new ScenarioError('expect', `must be a list of at most ${MAX_STEPS} expectations`);
  const expect = expIn.map((e, i) => parseExpectation(e, `expect[${i}]`));
  const timeoutMs = input.timeoutMs === undefined ? 15_000 : num(input, 'timeoutMs', name, 100, 600_000, true)!;
  const title = input.name === undefined ? name : str(input, 'name', name)!;
  return { name: title, timeoutMs, handsets, steps, expect };
}

export async function loadScenario(path: string): Promise<{ scenario: Scenario; baseDir: string }> {
  const text = await readFile(path, 'utf8');
  if (text.length > 10 * 1024 * 1024) throw new ScenarioError(path, 'larger than 10 MB');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ScenarioError(path, `not JSON: ${(e as Error).message}`);
  }
  return { scenario: parseScenario(json, path), baseDir: dirname(resolve(path)) };
}

// ---------------------------------------------------------------------------------------- running

interface SentMessage {
  id: string;
  sender: Handset;
  subject: string;
  sent: Sent;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(f: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() >= end) return undefined;
    await sleep(20);
  }
}

function digits(a: string): string {
  return a.replace(/\/TYPE=.*$/i, '').replace(/\D/g, '');
}

/** Runs a scenario with its own handsets; resolves with pass/fail per expectation (never rejects for MMSC behaviour). */
export async function runScenario(s: Scenario, env: ScenarioEnv): Promise<ScenarioResult> {
  const print = env.print ?? (() => undefined);
  const phones = new Map<string, Handset>();
  for (const [name, spec] of Object.entries(s.handsets)) {
    const h = new Handset({ ...spec, client: env.client });
    phones.set(name, h);
    env.directory.add(h);
  }
  const messages = new Map<string, SentMessage>();
  const results: ExpectationResult[] = [];
  const phone = (n: string) => phones.get(n)!;
  const address = (r: string) => phones.get(r)?.msisdn ?? r;

  /** The notification of message `id` at handset `h`: by Message-ID once retrieved, else by subject and sender. */
  const incomingOf = (h: Handset, id: string): Incoming | undefined => {
    const m = messages.get(id);
    if (!m) return undefined;
    const byId = m.sent.messageId ? h.inbox.find((i) => i.messageId === m.sent.messageId) : undefined;
    if (byId) return byId;
    return h.inbox.find((i) => i.messageId === undefined && i.notification.subject === m.subject && (i.notification.from === undefined || digits(i.notification.from) === digits(m.sender.msisdn)));
  };

  const check = async (e: Expectation): Promise<ExpectationResult> => {
    if ('conf' in e) {
      const m = messages.get(e.conf)!;
      const got = m.sent.responseStatus ?? `HTTP ${m.sent.httpStatus}, no conf`;
      return { description: `${e.conf}: MMSC answered ${e.status}`, pass: got === e.status, detail: got === e.status ? undefined : `got ${got}` };
    }
    const h = phone(e.handset);
    if ('deliveryReport' in e || 'readReport' in e) {
      const delivery = 'deliveryReport' in e;
      const r = delivery ? e.deliveryReport : e.readReport;
      const m = messages.get(r.message)!;
      const from = phone(r.from).msisdn;
      const description = `${e.handset} gets a ${delivery ? 'delivery' : 'read'} report '${r.status}' from ${r.from} for ${r.message}`;
      const find = () => {
        const list: { status: unknown }[] = delivery
          ? h.deliveryReportsFrom(from, m.sent.messageId).map((p) => ({ status: p.status }))
          : h.readReportsFrom(from, m.sent.messageId).map((p) => ({ status: p.readStatus === 'deleted-without-being-read' ? 'deleted' : p.readStatus }));
        return list.find((x) => String(x.status) === r.status) ? true : undefined;
      };
      if (await waitFor(find, s.timeoutMs)) return { description, pass: true };
      const seen = delivery ? h.deliveryReportsFrom(from, m.sent.messageId).map((p) => String(p.status)) : h.readReportsFrom(from, m.sent.messageId).map((p) => String(p.readStatus));
      return { description, pass: false, detail: seen.length ? `got ${seen.join(', ')}` : 'no report' };
    }
    const parts: string[] = [];
    if (e.state) parts.push(`state ${e.state}`);
    if (e.minSegments) parts.push(`notification in >= ${e.minSegments} SMS`);
    if (e.text !== undefined) parts.push(`text ${JSON.stringify(e.text.length > 30 ? `${e.text.slice(0, 30)}…` : e.text)}`);
    if (e.parts !== undefined) parts.push(`${e.parts} parts`);
    const description = `${e.handset} has ${e.message}${parts.length ? `: ${parts.join(', ')}` : ''}`;
    if (e.state === 'none') {
      // Nothing may arrive: give it the whole timeout to show up.
      const got = await waitFor(() => incomingOf(h, e.message), Math.min(s.timeoutMs, 3000));
      return { description, pass: !got, detail: got ? `notified (state ${got.state})` : undefined };
    }
    const problems = (i: Incoming | undefined): string | undefined => {
      if (!i) return 'not notified';
      if (e.state && i.state !== e.state) return `state ${i.state}${i.error ? ` (${i.error})` : ''}`;
      if (e.minSegments && i.segments < e.minSegments) return `notification came in ${i.segments} SMS`;
      if (e.text !== undefined || e.parts !== undefined) {
        if (!i.retrieved) return 'not retrieved';
        const ps = i.retrieved.parts ?? [];
        if (e.parts !== undefined && ps.length !== e.parts) return `${ps.length} parts`;
        if (e.text !== undefined && !ps.some((p) => p.contentType.type === 'text/plain' && Buffer.from(p.data).toString('utf8') === e.text)) return 'no text part with that text';
      }
      return undefined;
    };
    const ok = await waitFor(() => (problems(incomingOf(h, e.message)) === undefined ? true : undefined), s.timeoutMs);
    return { description, pass: ok === true, detail: ok ? undefined : problems(incomingOf(h, e.message)) };
  };

  const record = (r: ExpectationResult) => {
    results.push(r);
    print(`${r.pass ? 'PASS' : 'FAIL'}  ${r.description}${r.detail ? ` - ${r.detail}` : ''}`);
  };

  const waitIncoming = async (by: string, id: string, what: string): Promise<Incoming> => {
    const i = await waitFor(() => incomingOf(phone(by), id), s.timeoutMs);
    if (!i) throw new Error(`${by} was not notified of ${id} within ${s.timeoutMs} ms (needed to ${what})`);
    return i;
  };

  let error: string | undefined;
  try {
    for (const [n, step] of s.steps.entries()) {
      if ('send' in step) {
        const st = step.send;
        const subject = st.subject ?? st.id;
        const sent = await phone(st.from).send({
          to: st.to.map(address),
          cc: st.cc?.map(address),
          bcc: st.bcc?.map(address),
          subject,
          text: st.text,
          files: st.files?.map((f) => ({ path: resolve(env.baseDir, f) })),
          deliveryReport: st.deliveryReport,
          readReport: st.readReport,
          expirySeconds: st.expirySeconds,
        });
        messages.set(st.id, { id: st.id, sender: phone(st.from), subject, sent });
        print(`      ${st.from} sent ${st.id} to ${st.to.join(', ')}: ${sent.responseStatus ?? `HTTP ${sent.httpStatus}`}`);
      } else if ('retrieve' in step) {
        const i = await waitIncoming(step.retrieve.by, step.retrieve.message, 'retrieve it');
        if (!(await phone(step.retrieve.by).retrieve(i))) throw new Error(`${step.retrieve.by} could not retrieve ${step.retrieve.message}: ${i.error}`);
        print(`      ${step.retrieve.by} retrieved ${step.retrieve.message}`);
      } else if ('readReport' in step) {
        const r = step.readReport;
        const m = messages.get(r.message)!;
        const i = await waitIncoming(r.by, r.message, 'report reading it');
        const id = i.messageId ?? m.sent.messageId;
        if (!id) throw new Error(`no Message-ID known for ${r.message}`);
        const status = await phone(r.by).sendReadReport(id, r.status === 'deleted' ? 'deleted-without-being-read' : 'read');
        print(`      ${r.by} sent a read report for ${r.message}: HTTP ${status}`);
      } else if ('forward' in step) {
        const f = step.forward;
        const i = await waitIncoming(f.by, f.message, 'forward it');
        const sent = await phone(f.by).forward(i, f.to.map(address), { deliveryReport: f.deliveryReport });
        const original = messages.get(f.message)!;
        messages.set(f.id, { id: f.id, sender: phone(f.by), subject: original.subject, sent });
        print(`      ${f.by} forwarded ${f.message} as ${f.id} to ${f.to.join(', ')}: ${sent.responseStatus ?? `HTTP ${sent.httpStatus}`}`);
      } else if ('smsc' in step) {
        if (!env.simulator) throw new Error(`steps[${n}]: an smsc ${step.smsc} needs the emulator's own SMSC simulator`);
        if (step.smsc === 'outage') env.simulator.outage();
        else env.simulator.restore();
        print(`      SMSC ${step.smsc}`);
      } else if ('wait' in step) {
        await sleep(step.wait.ms);
      } else {
        record(await check(step.expect));
      }
    }
    for (const e of s.expect) record(await check(e));
  } catch (e) {
    error = (e as Error).message;
    print(`ERROR ${error}`);
  }
  return { name: s.name, pass: error === undefined && results.every((r) => r.pass), results, error };
}
