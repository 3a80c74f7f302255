/**
 * XML parse benchmark (issue 21): protocol/xml's parseXml (saxes underneath) on the documents the
 * gateway parses - MM7 SubmitReq envelopes (one recipient list of 3, a VASP batch of 1 000) and
 * UAProf profiles (a Series 40-sized one, a 40-component one) - beside, in the same run:
 *  - BASELINE_XML=<dir>: another build's protocol/xml (its index.js), e.g. the hand-written parser
 *    this replaced: `git archive e79ebd1 protocol/xml | tar -x -C /tmp/old && npx tsc --outDir
 *    /tmp/old/dist --rootDir /tmp/old --module NodeNext --moduleResolution NodeNext --target ES2022
 *    --skipLibCheck /tmp/old/protocol/xml/index.ts`, then BASELINE_XML=/tmp/old/dist/protocol/xml;
 *  - fast-xml-parser (devDependency) with its validator on and attributes kept: a tree of plain
 *    objects without namespace resolution, so a lower bound for an fxp-based parseXml.
 * Rounds alternate the implementations; medians of ROUNDS rounds of ROUND_MS each, ops/s.
 *   npm run build && node dist/bench/xml.js        (ROUNDS=7 ROUND_MS=300)
 */
import { XMLParser } from 'fast-xml-parser';
import { parseXml } from '../protocol/xml/index.js';

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const ROUND_MS = Number(process.env.ROUND_MS ?? 300);

const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';
const MM7 = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4';
const RDF = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';
const PRF = 'http://www.openmobilealliance.org/tech/profiles/UAPROF/ccppschema-20021212#';
const MMS = 'http://www.openmobilealliance.org/tech/profiles/MMS/ccppschema-20050301-MMS1.2#';

function submitReq(recipients: number): string {
  const to = Array.from({ length: recipients }, (_, i) => `<Number>+1555${String(1_000_000 + i).slice(1)}</Number>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="${SOAP}"><env:Header><mm7:TransactionID xmlns:mm7="${MM7}" env:mustUnderstand="1">vasp-tx-000123</mm7:TransactionID></env:Header>
<env:Body><SubmitReq xmlns="${MM7}"><MM7Version>6.8.0</MM7Version>
<SenderIdentification><VASPID>acme</VASPID><VASID>promo</VASID><SenderAddress><ShortCode>12345</ShortCode></SenderAddress></SenderIdentification>
<Recipients><To>${to}</To></Recipients><ServiceCode>gold-sp33</ServiceCode><LinkedID>mms-0001</LinkedID>
<MessageClass>Informational</MessageClass><TimeStamp>2024-06-01T10:00:00Z</TimeStamp><ExpiryDate>P2D</ExpiryDate>
<DeliveryReport>true</DeliveryReport><ReadReply>false</ReadReply><Priority>Normal</Priority>
<Subject>Summer sale &amp; more: 20 % off</Subject><ChargedParty>Sender</ChargedParty><DistributionIndicator>false</DistributionIndicator>
<Content href="cid:promo-content" allowAdaptations="true"/></SubmitReq></env:Body></env:Envelope>`;
}

function component(id: string, body: string): string {
  return `  <prf:component>
   <rdf:Description rdf:ID="${id}">
    <rdf:type rdf:resource="${PRF}${id}"/>
${body}
   </rdf:Description>
  </prf:component>\n`;
}

function uaProf(extra: number): string {
  const bag = (items: string[]) => `<rdf:Bag>${items.map((i) => `<rdf:li>${i}</rdf:li>`).join('')}</rdf:Bag>`;
  let s = `<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="${RDF}" xmlns:prf="${PRF}" xmlns:mms="${MMS}">\n <rdf:Description rdf:ID="Profile">\n`;
  s += component('HardwarePlatform', '    <prf:BitsPerPixel>24</prf:BitsPerPixel><prf:ColorCapable>Yes</prf:ColorCapable><prf:Model>6230i</prf:Model>\n    <prf:ScreenSize>208x208</prf:ScreenSize><prf:Vendor>Nokia</prf:Vendor>');
  s += component('SoftwarePlatform', `    <prf:CcppAccept>${bag(['application/xhtml+xml', 'image/jpeg', 'image/gif', 'image/png', 'audio/amr', 'video/3gpp'])}</prf:CcppAccept>`);
  for (let i = 0; i < extra; i++) {
    s += component(`BrowserUA${i}`, `    <prf:CcppAccept>${bag(['text/html', 'image/jpeg', 'application/vnd.wap.wmlc', 'text/css'])}</prf:CcppAccept>\n    <prf:BrowserName>Browser ${i}</prf:BrowserName><prf:FramesCapable>No</prf:FramesCapable>`);
  }
  s += component('MmsCharacteristics', `    <mms:MmsMaxMessageSize>614400</mms:MmsMaxMessageSize><mms:MmsMaxImageResolution>1600x1200</mms:MmsMaxImageResolution>
    <mms:MmsCcppAccept>${bag(['image/jpeg', 'image/gif', 'audio/amr', 'video/3gpp', 'application/smil'])}</mms:MmsCcppAccept>
    <mms:MmsVersion>${bag(['1.0', '1.1', '1.2'])}</mms:MmsVersion>`);
  return `${s} </rdf:Description>\n</rdf:RDF>\n`;
}

type Parse = (doc: string) => unknown;

async function implementations(): Promise<[string, Parse][]> {
  const list: [string, Parse][] = [['parseXml (saxes)', (d) => parseXml(d, { lenient: true })]];
  const dir = process.env.BASELINE_XML;
  if (dir) {
    const base = (await import(`${dir}/index.js`)) as { parseXml: typeof parseXml };
    list.push([`baseline (${dir})`, (d) => base.parseXml(d, { lenient: true })]);
  }
  const fxp = new XMLParser({ ignoreAttributes: false, preserveOrder: true, processEntities: true, htmlEntities: false });
  list.push(['fast-xml-parser, validated, no namespaces', (d) => fxp.parse(d, true)]);
  return list;
}

function opsPerSecond(fn: Parse, doc: string): number {
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ROUND_MS) {
    for (let i = 0; i < 16; i++) fn(doc);
    n += 16;
    t = performance.now();
  }
  return (n * 1000) / (t - t0);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const docs: [string, string][] = [
  ['MM7 SubmitReq, 3 recipients', submitReq(3)],
  ['MM7 SubmitReq, 1 000 recipients', submitReq(1000)],
  ['UAProf, 4 components', uaProf(0)],
  ['UAProf, 40 components', uaProf(38)],
];

const impls = await implementations();
for (const [name, doc] of docs) {
  for (const [, fn] of impls) fn(doc); // every implementation accepts every document
  const samples = impls.map(() => [] as number[]);
  for (let r = 0; r < ROUNDS; r++) impls.forEach(([, fn], i) => samples[i]!.push(opsPerSecond(fn, doc)));
  const first = median(samples[0]!);
  console.log(`${name} (${(doc.length / 1024).toFixed(1)} KB)`);
  impls.forEach(([label], i) => {
    const m = median(samples[i]!);
    console.log(`  ${label.padEnd(44)} ${Math.round(m).toString().padStart(9)} ops/s  ${(m / first).toFixed(2)}x of parseXml`);
  });
}
