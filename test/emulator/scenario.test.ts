import t from 'tap';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { lab } from './lab.js';
import { loadScenario, parseScenario, runScenario } from '../../src/emulator/scenario.js';

const dir = resolve(import.meta.dirname, '../../config/scenarios');
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

t.test('the example scenarios cover every MM1 flow', async (t) => {
  t.same(files, ['defer-then-retrieve.json', 'expiry.json', 'forward.json', 'multi-segment.json', 'reject.json', 'several-recipients.json', 'smsc-outage.json']);
});

const runs: [string, 'simulator' | 'smpp'][] = [...files.map((f): [string, 'simulator'] => [f, 'simulator']), ['several-recipients.json', 'smpp'], ['multi-segment.json', 'smpp'], ['smsc-outage.json', 'smpp']];
for (const [file, via] of runs) {
  t.test(`scenario ${file} (pushes via ${via})`, async (t) => {
    const l = await lab(t, { via });
    const { scenario, baseDir } = await loadScenario(join(dir, file));
    const lines: string[] = [];
    const r = await runScenario(scenario, { client: l.client, directory: l.handsets, simulator: l.sim, baseDir, print: (s) => lines.push(s) });
    t.equal(r.error, undefined, 'every step ran');
    t.ok(r.results.length > 0, 'expectations checked');
    for (const x of r.results) t.ok(x.pass, `${x.description}${x.detail ? ` - ${x.detail}` : ''}`);
    t.ok(r.pass, 'scenario passes');
    t.equal(lines.filter((s) => s.startsWith('PASS')).length, r.results.length, 'one PASS line per expectation');
  });
}

t.test('a failing expectation is reported as FAIL, not as a pass', async (t) => {
  const l = await lab(t);
  const s = parseScenario({
    name: 'wrong',
    timeoutMs: 1500,
    handsets: { A: { msisdn: '+15550000001' }, B: { msisdn: '+15550000002', behaviour: 'reject' } },
    steps: [{ send: { id: 'm1', from: 'A', to: ['B'], text: 'x', deliveryReport: true } }],
    expect: [
      { handset: 'B', message: 'm1', state: 'acknowledged' },
      { handset: 'A', deliveryReport: { message: 'm1', from: 'B', status: 'retrieved' } },
    ],
  });
  const lines: string[] = [];
  const r = await runScenario(s, { client: l.client, directory: l.handsets, baseDir: '.', print: (x) => lines.push(x) });
  t.notOk(r.pass);
  t.match(r.results, [{ pass: false, detail: 'state rejected' }, { pass: false, detail: 'got rejected' }]);
  t.match(lines, [/sent m1/, /^FAIL  B has m1: state acknowledged - state rejected$/, /^FAIL  A gets a delivery report 'retrieved' from B/]);
});

t.test('an outage step without the emulator simulator is an error, not a pass', async (t) => {
  const l = await lab(t);
  const s = parseScenario({ handsets: { A: { msisdn: '+15550000001' } }, steps: [{ smsc: 'outage' }] });
  const r = await runScenario(s, { client: l.client, directory: l.handsets, baseDir: '.' });
  t.notOk(r.pass);
  t.match(r.error, /needs the emulator's own SMSC simulator/);
});

t.test('scenario files are validated with the place of the problem', async (t) => {
  const base = { handsets: { A: { msisdn: '+15550000001' } }, steps: [{ wait: { ms: 1 } }] };
  t.doesNotThrow(() => parseScenario(base));
  t.throws(() => parseScenario([]), /must be a JSON object/);
  t.throws(() => parseScenario({ ...base, handsets: { A: { msisdn: '5550000001' } } }), /handsets\.A\.msisdn/);
  t.throws(() => parseScenario({ ...base, handsets: { A: { msisdn: '+15550000001', behaviour: 'lazy' } } }), /handsets\.A\.behaviour: must be one of/);
  t.throws(() => parseScenario({ ...base, handsets: { A: { msisdn: '+15550000001', reportsTo: 'wap' } } }), /handsets\.A\.reportsTo: must be 'mmsc' or 'content-location'/);
  t.equal(parseScenario({ ...base, handsets: { A: { msisdn: '+15550000001', reportsTo: 'content-location' } } }).handsets.A!.reportsTo, 'content-location');
  t.throws(() => parseScenario({ ...base, steps: [{ send: { id: 'm', from: 'Z', to: ['A'] } }] }), /steps\[0\]\.send\.from: "Z" is not a handset/);
  t.throws(() => parseScenario({ ...base, steps: [{ retrieve: { by: 'A', message: 'nope' } }] }), /not the id of an earlier send/);
  t.throws(() => parseScenario({ ...base, steps: [{ jump: {} }] }), /unknown step "jump"/);
  t.throws(() => parseScenario({ ...base, steps: [{ send: { id: 'm', from: 'A', to: ['A'], colour: 1 } }] }), /unknown key "colour"/);
  t.throws(() => parseScenario({ ...base, steps: [{ smsc: 'reboot' }] }), /outage" or "restore/);
  t.throws(() => parseScenario({ ...base, expect: [{ handset: 'A', message: 'm1' }] }), /expect\[0\]\.message/);
  t.throws(() => parseScenario({ ...base, timeoutMs: 10 }), /timeoutMs: must be a number in 100\.\.600000/);
});
