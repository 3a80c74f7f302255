import t, { type Test } from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseXml, XmlError } from '../../protocol/xml/index.js';
import { parseMm7Message, Mm7Error, Mm7Status } from '../../protocol/mm7/index.js';
import { parseUaProf } from '../../protocol/uaprof/capabilities.js';
import { parseSmil } from '../../protocol/smil/index.js';

const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';

/** The parse is refused with this code, and the message never carries `secret`. */
function refused(t: Test, fn: () => unknown, code: XmlError['code'], msg: string, secret?: string): void {
  try {
    const out = fn();
    t.fail(`${msg}: parsed to ${JSON.stringify(out).slice(0, 200)}`);
  } catch (e) {
    t.type(e, XmlError, msg);
    t.equal((e as XmlError).code, code, `${msg}: code ${code}`);
    if (secret) t.notMatch((e as Error).message, secret, `${msg}: the file's content is not in the error`);
  }
}

// A classic billion laughs: ten levels of ten references, 10^9 "lol"s (3 GB) if expanded.
const LEVELS = Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`).join('\n ');
const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol0 "lol">
 ${LEVELS}
]>
<lolz>&lol9;</lolz>`;

t.test('billion laughs: refused at the internal subset, nothing expanded', async (t) => {
  refused(t, () => parseXml(BILLION_LAUGHS), 'doctype', 'strict');
  refused(t, () => parseXml(BILLION_LAUGHS, { lenient: true }), 'doctype', 'lenient (what MM7, UAProf and SMIL use)');
  refused(t, () => parseXml(Buffer.from(BILLION_LAUGHS)), 'doctype', 'from bytes');
  try {
    parseXml(BILLION_LAUGHS);
  } catch (e) {
    t.equal((e as XmlError).offset, BILLION_LAUGHS.indexOf('<!DOCTYPE'), 'the error points at the DOCTYPE');
    t.equal((e as XmlError).line, 2);
    t.equal((e as XmlError).column, 1);
  }
  // Quadratic blow-up needs no nesting: one big entity referenced many times.
  const quadratic = `<!DOCTYPE q [<!ENTITY a "${'a'.repeat(50_000)}">]><q>${'&a;'.repeat(50_000)}</q>`;
  refused(t, () => parseXml(quadratic, { lenient: true }), 'doctype', 'quadratic blow-up');
  // The references alone, without the declarations, are unknown entities and stay unexpanded.
  refused(t, () => parseXml('<lolz>&lol9;</lolz>', { lenient: true }), 'entity', 'reference without declaration');
});

t.test('external entities are never read: refused, the file content never appears', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'xxe-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const secret = `SECRET-${process.pid}-${Date.now()}`;
  const file = join(dir, 'passwd');
  writeFileSync(file, `${secret}\n`);
  const dtd = join(dir, 'evil.dtd');
  writeFileSync(dtd, `<!ENTITY xxe "${secret}">`);
  const docs: [string, string, XmlError['code']][] = [
    ['general entity', `<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file://${file}">]><foo>&xxe;</foo>`, 'doctype'],
    ['in an attribute', `<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file://${file}">]><foo a="&xxe;"/>`, 'doctype'],
    ['/etc/passwd', '<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>', 'doctype'],
    ['parameter entity', `<!DOCTYPE foo [<!ENTITY % p SYSTEM "file://${dtd}"> %p;]><foo>&xxe;</foo>`, 'doctype'],
    // An external DTD without internal subset is accepted as a DOCTYPE but never fetched, so the
    // entities it would declare stay unknown references.
    ['external DTD', `<!DOCTYPE foo SYSTEM "file://${dtd}"><foo>&xxe;</foo>`, 'entity'],
  ];
  for (const [name, doc, code] of docs) {
    refused(t, () => parseXml(doc), code, `${name} (strict)`, secret);
    refused(t, () => parseXml(doc, { lenient: true }), code, `${name} (lenient)`, secret);
  }
  t.equal(parseXml(`<!DOCTYPE foo SYSTEM "file://${file}"><foo>x</foo>`).text, 'x', 'an external DTD is ignored, not read');
});

t.test('through the callers: MM7 answers MessageFormatCorrupt, UAProf and SMIL refuse', async (t) => {
  const xxe = `<?xml version="1.0"?><!DOCTYPE env:Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<env:Envelope xmlns:env="${SOAP}"><env:Body><SubmitReq>&xxe;</SubmitReq></env:Body></env:Envelope>`;
  for (const doc of [xxe, BILLION_LAUGHS]) {
    try {
      parseMm7Message('text/xml', Buffer.from(doc));
      t.fail('MM7 parsed it');
    } catch (e) {
      t.type(e, Mm7Error);
      t.equal((e as Mm7Error).statusCode, Mm7Status.MessageFormatCorrupt);
      t.match((e as Error).message, /DOCTYPE internal subset refused/);
      t.notMatch((e as Error).message, /root:/);
    }
  }
  refused(t, () => parseUaProf(BILLION_LAUGHS), 'doctype', 'UAProf');
  refused(t, () => parseSmil('<!DOCTYPE smil [<!ENTITY x SYSTEM "file:///etc/passwd">]><smil><body>&x;</body></smil>'), 'doctype', 'SMIL');
});

t.test('lenient bare ampersands: literal in CDATA, comments and PIs; offsets stay those of the input', async (t) => {
  const root = parseXml('<a t="x&y">A&B<!-- c&d --><?p e&f?><![CDATA[g&amp;h & i]]></a>', { lenient: true });
  t.equal(root.text, 'A&Bg&amp;h & i', 'CDATA keeps its text as written');
  t.equal(root.attrs[0]!.value, 'x&y');
  try {
    parseXml('<a>&&&&</b>', { lenient: true });
    t.fail('no error');
  } catch (e) {
    t.equal((e as XmlError).offset, 7, 'the offset is in the input, not in the rewritten text');
  }
  const el = parseXml('<r>&&<x/></r>', { lenient: true });
  t.equal(el.children[0]!.offset, 5, 'element offsets too');
  refused(t, () => parseXml('<a>A&B</a>'), 'syntax', 'strict mode refuses the bare &');
  try {
    parseXml('<a>\n b & c</a>');
  } catch (e) {
    t.match(e, { offset: 7, line: 2, column: 4 }, 'at the &, with line and column');
  }
});
