/**
 * Offline checks of deploy/: the YAML parses (with a small block-YAML reader, so the files must
 * stay in the plain subset it reads), the manifests agree with each other and with the gateway
 * (config keys, environment variables, probe paths, port).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ENV_VARS, loadConfig } from '../../src/config/index.js';

const root = join(import.meta.dirname, '..', '..', 'deploy');
const read = (p: string) => readFileSync(join(root, p), 'utf8');

type Yaml = string | number | boolean | null | Yaml[] | { [k: string]: Yaml };
interface Line {
  indent: number;
  text: string;
  raw: string;
}

/** Block mappings, block sequences, `|` scalars, quoted and JSON flow values; throws on anything else. */
function parseYaml(src: string): Yaml[] {
  return src
    .split(/^---[ \t]*$/m)
    .map((doc) => {
      const lines: Line[] = [];
      for (const raw of doc.split('\n')) {
        const text = stripComment(raw).trimEnd();
        if (text.trim() === '') {
          lines.push({ indent: -1, text: '', raw });
          continue;
        }
        if (/\t/.test(text.slice(0, text.length - text.trimStart().length))) throw new Error(`tab indentation: ${raw}`);
        lines.push({ indent: text.length - text.trimStart().length, text: text.trim(), raw });
      }
      const r = new Reader(lines);
      r.skipBlank();
      if (r.done()) return null;
      const v = r.block(r.peek().indent);
      r.skipBlank();
      if (!r.done()) throw new Error(`unexpected line: ${r.peek().raw}`);
      return v;
    })
    .filter((d) => d !== null);
}

function stripComment(line: string): string {
  let q: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (q) {
      if (c === q) q = undefined;
    } else if (c === '"' || c === "'") q = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}

class Reader {
  private i = 0;
  constructor(private readonly lines: Line[]) {}
  done(): boolean {
    return this.i >= this.lines.length;
  }
  peek(): Line {
    return this.lines[this.i]!;
  }
  skipBlank(): void {
    while (!this.done() && this.peek().indent < 0) this.i++;
  }
  block(indent: number): Yaml {
    return this.peek().text.startsWith('- ') || this.peek().text === '-' ? this.list(indent) : this.map(indent);
  }
  private list(indent: number): Yaml[] {
    const out: Yaml[] = [];
    for (this.skipBlank(); !this.done() && this.peek().indent === indent && /^-( |$)/.test(this.peek().text); this.skipBlank()) {
      const line = this.peek();
      const rest = line.text.slice(1).trimStart();
      if (rest === '') {
        this.i++;
        this.skipBlank();
        out.push(this.block(this.peek().indent));
      } else if (/^[^"'[{][^:]*:( |$)/.test(rest)) {
        // "- key: value": a mapping whose keys sit where `key` starts.
        const inner = indent + (line.text.length - rest.length);
        this.lines[this.i] = { indent: inner, text: rest, raw: line.raw };
        out.push(this.map(inner));
      } else {
        this.i++;
        out.push(scalar(rest));
      }
    }
    return out;
  }
  private map(indent: number): Yaml {
    const out: Record<string, Yaml> = {};
    for (this.skipBlank(); !this.done() && this.peek().indent === indent; this.skipBlank()) {
      const line = this.peek();
      const m = /^("[^"]*"|[^"'\s][^:]*?):(?: +(.*))?$/.exec(line.text);
      if (!m) throw new Error(`not a mapping entry: ${line.raw}`);
      const key = m[1]!.startsWith('"') ? (JSON.parse(m[1]!) as string) : m[1]!;
      if (key in out) throw new Error(`duplicate key ${key}: ${line.raw}`);
      this.i++;
      const v = m[2];
      if (v === undefined || v === '') {
        this.skipBlank();
        out[key] = !this.done() && this.peek().indent > indent ? this.block(this.peek().indent) : null;
      } else if (v === '|' || v === '>') {
        const body: string[] = [];
        while (!this.done() && (this.peek().indent < 0 || this.peek().indent > indent)) body.push(this.lines[this.i++]!.raw);
        while (body.length && body[body.length - 1]!.trim() === '') body.pop();
        const cut = Math.min(...body.filter((b) => b.trim()).map((b) => b.length - b.trimStart().length));
        out[key] = body.map((b) => b.slice(cut)).join(v === '|' ? '\n' : ' ') + '\n';
      } else out[key] = scalar(v);
    }
    if (!this.done() && this.peek().indent > indent) throw new Error(`bad indentation: ${this.peek().raw}`);
    return out;
  }
}

function scalar(v: string): Yaml {
  if (/^["[{]/.test(v)) return JSON.parse(v) as Yaml;
  if (v.startsWith("'")) {
    if (!v.endsWith("'")) throw new Error(`unterminated string: ${v}`);
    return v.slice(1, -1).replace(/''/g, "'");
  }
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  if (v === 'true' || v === 'false') return v === 'true';
  if (v === 'null' || v === '~') return null;
  if (/^[&*!|>%@`]/.test(v)) throw new Error(`unsupported YAML: ${v}`);
  return v;
}

// Typed access into parsed YAML for the assertions below.
const at = (v: Yaml | undefined, ...path: (string | number)[]): any => path.reduce<any>((o, k) => (o == null ? undefined : o[k]), v);

t.test('the YAML reader itself', async (t) => {
  t.same(parseYaml('a: 1\nb:\n  - x\n  - k: "v # not a comment"\n    n: [1, 2]\nc: |\n  line1\n  line2\n'), [
    { a: 1, b: ['x', { k: 'v # not a comment', n: [1, 2] }], c: 'line1\nline2\n' },
  ]);
  t.throws(() => parseYaml('a: 1\n   b: 2\n'), /indentation|mapping/);
  t.throws(() => parseYaml('a: 1\na: 2\n'), /duplicate/);
  t.throws(() => parseYaml('a: &anchor 1\n'), /unsupported/);
});

t.test('docker-compose.yml: two gateways on Redis, the SMSC simulator, settings the gateway knows', async (t) => {
  const [doc] = parseYaml(read('docker-compose.yml'));
  const services = at(doc, 'services');
  t.same(Object.keys(services).sort(), ['emulator', 'gateway-a', 'gateway-b', 'redis', 'smsc-sim']);
  t.same(at(services, 'smsc-sim', 'command', 0), 'mmsc-smsc-sim');
  const emu = at(services, 'emulator', 'command') as string[];
  t.same(emu.slice(0, 2), ['mmsc-emulator', 'load'], 'one emulator load run');
  t.equal(emu[emu.indexOf('--mmsc') + 1], 'http://gateway-a:8080/mms', 'sends through node A');
  t.equal(emu[emu.indexOf('--smsc') + 1], 'smsc-sim:2775', 'gets its notifications from the simulator');
  t.ok(emu.includes('--count'), 'bounded');
  t.ok(JSON.parse(read('../package.json')).bin['mmsc-emulator'], 'mmsc-emulator is a package bin (a command in the image)');
  for (const name of ['gateway-a', 'gateway-b']) {
    const env = at(services, name, 'environment');
    t.match(env.MMSC_REDIS_URL, /^redis:\/\/redis:6379/, `${name} uses the redis service`);
    for (const k of Object.keys(env)) t.ok(k in ENV_VARS, `${name}: ${k} is a gateway environment variable`);
    t.match(at(services, name, 'ports', 0), /:8080$/);
    t.equal(at(services, name, 'depends_on', 'redis', 'condition'), 'service_healthy');
    t.equal(at(services, name, 'build', 'dockerfile'), 'deploy/Dockerfile');
  }
  t.ok(at(services, 'redis', 'command').includes('--appendonly'), 'Redis persists (AOF)');
});

t.test('Kubernetes manifests agree with each other and with the gateway', async (t) => {
  const docs = ['configmap.yaml', 'deployment.yaml', 'service.yaml', 'pdb.yaml'].flatMap((f) => parseYaml(read(`k8s/${f}`)));
  const byKind = Object.fromEntries(docs.map((d) => [at(d, 'kind'), d]));
  t.same(Object.keys(byKind).sort(), ['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Service']);
  const dep = byKind.Deployment;
  const labels = at(dep, 'spec', 'template', 'metadata', 'labels');
  t.same(at(dep, 'spec', 'selector', 'matchLabels'), labels);
  t.same(at(byKind.Service, 'spec', 'selector'), labels, 'Service selects the pods');
  t.same(at(byKind.PodDisruptionBudget, 'spec', 'selector', 'matchLabels'), labels, 'PDB selects the pods');
  t.ok(at(dep, 'spec', 'replicas') > at(byKind.PodDisruptionBudget, 'spec', 'minAvailable'), 'PDB leaves room to drain a node');
  const c = at(dep, 'spec', 'template', 'spec', 'containers', 0);
  t.equal(at(c, 'ports', 0, 'containerPort'), 8080);
  t.equal(at(c, 'livenessProbe', 'httpGet', 'path'), '/healthz');
  t.equal(at(c, 'readinessProbe', 'httpGet', 'path'), '/readyz');
  // Probes and metrics on the admin listener, which the Service leaves out.
  const admin = at(c, 'ports').find((p: any) => p.name === 'admin');
  t.equal(at(c, 'livenessProbe', 'httpGet', 'port'), 'admin');
  t.equal(at(c, 'readinessProbe', 'httpGet', 'port'), 'admin');
  t.equal(String(at(dep, 'spec', 'template', 'metadata', 'annotations', 'prometheus.io/port')), String(admin.containerPort), 'Prometheus scrapes the admin port');
  t.same(at(byKind.Service, 'spec', 'ports').map((p: any) => p.targetPort), ['http'], 'the Service exposes only the public port');
  for (const e of at(c, 'env')) t.ok(e.name === 'MMSC_CONFIG' || e.name in ENV_VARS, `${e.name} is read by the gateway`);
  t.equal(at(c, 'securityContext', 'allowPrivilegeEscalation'), false);
  const mount = at(c, 'volumeMounts').find((m: any) => m.name === 'config');
  t.equal(`${mount.mountPath}/mmsc.json`, at(c, 'env').find((e: any) => e.name === 'MMSC_CONFIG').value, 'config file path matches the mount');

  // The ConfigMap's file is a valid gateway config.
  const dir = t.testdir({});
  const file = join(dir, 'mmsc.json');
  writeFileSync(file, at(byKind.ConfigMap, 'data', 'mmsc.json'));
  const cfg = loadConfig({ file, env: {} });
  t.equal(cfg.redis.keyPrefix, 'mmsc:');
  t.equal(cfg.http.admin.port, admin.containerPort, "the admin listener's port is the container's admin port");
  t.equal(cfg.http.admin.host, '0.0.0.0', 'reachable by the kubelet on the pod address');
});

t.test('Dockerfile and systemd unit', async (t) => {
  const df = read('Dockerfile');
  t.equal(df.match(/^FROM node:20-bookworm-slim/gm)?.length, 2, 'multi-stage on node:20-bookworm-slim');
  t.match(df, /^USER node$/m, 'runs as the non-root node user');
  t.match(df, /^HEALTHCHECK [\s\S]*MMSC_ADMIN_PORT\|\|process\.env\.MMSC_HTTP_PORT[\s\S]*\/healthz/m, 'the health check follows the admin listener');
  t.match(df, /^EXPOSE 8080$/m);
  t.match(df, /npm ci/);
  const unit = read('mmsc.service');
  for (const opt of ['NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes', 'CapabilityBoundingSet=']) {
    t.match(unit, new RegExp(`^${opt}$`, 'm'), opt);
  }
  const dataDir = /^Environment=MMSC_DATA_DIR=(.+)$/m.exec(unit)?.[1];
  t.match(unit, new RegExp(`^ReadWritePaths=${dataDir}$`, 'm'), 'the data folder is writable');
  for (const m of read('mmsc.env.example').matchAll(/^#? ?(MMSC_[A-Z_]+)=/gm)) t.ok(m[1] === 'MMSC_CONFIG' || m[1]! in ENV_VARS, `${m[1]} is read by the gateway`);
});
