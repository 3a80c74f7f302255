import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import type { Store } from '../../store/types.js';
import { normaliseNumber, type NumberingPlan } from '../../address/index.js';
import { CHUNK, chunkKey, enc, type Row } from './model.js';

export class UploadError extends Error {
  override readonly name = 'UploadError';
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export interface RowRefusal {
  row: number;
  to: string;
  reason: string;
}

/**
 * Takes a batch's recipients one by one and stores them in chunks of CHUNK rows, each chunk durable
 * before the next is filled: a 1M-row upload holds one chunk in memory, and every row counted as
 * accepted is on disk. Rows with an unusable number or oversized variables are refused (the first
 * few are kept to tell the VASP why), the others numbered from 0 in the order they came.
 */
export class RowSink {
  private rows: Row[] = [];
  private chunk = 0;
  private input = 0;
  accepted = 0;
  refused = 0;
  readonly refusals: RowRefusal[] = [];
  /** Accepted rows per variant (the split is decided by row number, see variantOf). */

  constructor(
    private readonly o: {
      store: Store;
      batchId: string;
      plan: NumberingPlan;
      ttlMs: number;
      maxRows: number;
      maxVariableBytes: number;
    },
  ) {}

  get chunks(): number {
    return this.chunk + (this.rows.length > 0 ? 1 : 0);
  }

  async add(to: unknown, variables: unknown): Promise<void> {
    const n = this.input++;
    const refuse = (reason: string): void => {
      this.refused++;
      if (this.refusals.length < 20) this.refusals.push({ row: n, to: typeof to === 'string' ? to.slice(0, 40) : '', reason });
    };
    if (typeof to !== 'string' || to === '') return refuse('no "to"');
    const num = normaliseNumber(to, this.o.plan);
    if (!num.ok) return refuse(num.reason);
    if (num.kind !== 'e164') return refuse('a short code cannot be a campaign recipient');
    let vars: Record<string, unknown> | 0 = 0;
    if (variables !== undefined && variables !== null) {
      if (typeof variables !== 'object' || Array.isArray(variables)) return refuse('"variables" must be an object');
      if (Object.keys(variables).length > 0) {
        if (JSON.stringify(variables).length > this.o.maxVariableBytes) return refuse(`variables longer than ${this.o.maxVariableBytes} characters`);
        vars = variables as Record<string, unknown>;
      }
    }
    if (this.accepted >= this.o.maxRows) throw new UploadError('too-many-recipients', `more than ${this.o.maxRows} recipients in one batch`, 413);
    this.rows.push([num.value, vars]);
    this.accepted++;
    if (this.rows.length >= CHUNK) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.rows.length === 0) return;
    const rows = this.rows;
    this.rows = [];
    await this.o.store.batchWrite({ put: [{ key: chunkKey(this.o.batchId, this.chunk), value: enc(rows), ttlMs: this.o.ttlMs }] });
    this.chunk++;
  }

  /** Removes the chunks written so far (an upload refused after its list was read). */
  async discard(): Promise<void> {
    this.rows = [];
    const keys = Array.from({ length: this.chunk }, (_, i) => chunkKey(this.o.batchId, i));
    for (let i = 0; i < keys.length; i += 500) await this.o.store.batchWrite({ del: keys.slice(i, i + 500) });
  }
}

/**
 * A CSV recipient list: a header row naming `to` and the variables, one recipient per row
 * (csv-parse, streamed: backpressure holds the upload while a chunk is written).
 */
export async function readCsv(input: Readable, sink: RowSink, maxRecordBytes = 16 * 1024): Promise<void> {
  const parser = input.pipe(parse({ columns: (h: string[]) => h.map((c) => c.trim()), bom: true, trim: true, skip_empty_lines: true, relax_column_count: false, max_record_size: maxRecordBytes }));
  let checked = false;
  try {
    for await (const rec of parser as AsyncIterable<Record<string, string>>) {
      if (!checked) {
        if (!('to' in rec)) throw new UploadError('bad-recipients', 'the CSV header row must name a "to" column');
        checked = true;
      }
      const { to, ...vars } = rec;
      await sink.add(to, vars);
    }
  } catch (e) {
    input.resume();
    if (e instanceof UploadError) throw e;
    throw new UploadError('bad-recipients', `recipients CSV: ${(e as Error).message}`);
  }
}

/** A JSON Lines recipient list: one `{"to": ..., "variables": {...}}` per line. */
export async function readJsonLines(input: Readable, sink: RowSink, maxLineBytes = 16 * 1024): Promise<void> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const line of lines) {
      n++;
      if (line.trim() === '') continue;
      if (line.length > maxLineBytes) throw new UploadError('bad-recipients', `recipients line ${n}: longer than ${maxLineBytes} characters`);
      let rec: unknown;
      try {
        rec = JSON.parse(line);
      } catch {
        throw new UploadError('bad-recipients', `recipients line ${n} is not JSON`);
      }
      if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) throw new UploadError('bad-recipients', `recipients line ${n} is not an object`);
      const r = rec as { to?: unknown; variables?: unknown };
      await sink.add(r.to, r.variables);
    }
  } catch (e) {
    input.resume();
    throw e;
  }
}
