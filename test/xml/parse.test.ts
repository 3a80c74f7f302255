import t, { type Test } from 'tap';
import { parseXml, serializeXml, XmlError, element, childNamed, attrValue, type XmlElement } from '../../protocol/xml/index.js';

const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';
const MM7 = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4';

function xmlError(t: Test, fn: () => unknown, code: XmlError['code'], msg: string): void {
  try {
    fn();
    t.fail(`${msg}: no error`);
  } catch (e) {
    t.type(e, XmlError, msg);
    t.equal((e as XmlError).code, code, `${msg}: code`);
    t.equal(typeof (e as XmlError).offset, 'number');
  }
}

t.test('namespaces resolve for elements and attributes, default and prefixed', async (t) => {
  const doc = `<?xml version="1.0" encoding="UTF-8"?>
<!-- a comment before the root -->
<env:Envelope xmlns:env="${SOAP}">
  <env:Header><TransactionID xmlns="${MM7}" env:mustUnderstand="1">tx-1</TransactionID></env:Header>
  <env:Body><SubmitReq xmlns="${MM7}"><MM7Version>6.8.0</MM7Version><?pi ignored?></SubmitReq></env:Body>
</env:Envelope>`;
  const root = parseXml(doc);
  t.equal(root.name, 'env:Envelope');
  t.equal(root.prefix, 'env');
  t.equal(root.local, 'Envelope');
  t.equal(root.ns, SOAP);
  const tid = childNamed(childNamed(root, 'Header')!, 'TransactionID')!;
  t.equal(tid.ns, MM7);
  t.equal(tid.text, 'tx-1');
  const mu = tid.attrs.find((a) => a.local === 'mustUnderstand')!;
  t.equal(mu.ns, SOAP, 'prefixed attribute takes its prefix namespace');
  t.equal(attrValue(tid, 'mustUnderstand', SOAP), '1');
  const xmlnsAttr = tid.attrs.find((a) => a.name === 'xmlns')!;
  t.equal(xmlnsAttr.ns, 'http://www.w3.org/2000/xmlns/');
  t.equal(attrValue(tid, 'xmlns'), undefined, 'declarations are not looked up as attributes');
  const submit = childNamed(childNamed(root, 'Body')!, 'SubmitReq')!;
  t.equal(submit.ns, MM7);
  t.equal(childNamed(submit, 'MM7Version')!.ns, MM7, 'default namespace inherited');
  t.equal(childNamed(submit, 'mm7version', true)!.text, '6.8.0');
  const plain = parseXml('<a xmlns="urn:x"><b xmlns=""/><c q="1"/></a>');
  t.equal(plain.children[0]!.ns, '', 'xmlns="" undeclares the default namespace');
  t.equal(plain.children[1]!.attrs[0]!.ns, '', 'unprefixed attributes are in no namespace');
});

t.test('text: entities, character references, CDATA, line ends, BOM', async (t) => {
  const root = parseXml('<a x="1&amp;2 &#x41;&#66;&lt;&quot;&apos;">&lt;tag&gt; &amp; &#x1F600; <![CDATA[<raw & data>]]>\r\nend</a>');
  t.equal(attrValue(root, 'x'), '1&2 AB<"\'');
  t.equal(root.text, '<tag> & \u{1F600} <raw & data>\nend');
  const attrWs = parseXml('<a x="a\tb\r\nc&#10;d"/>');
  t.equal(attrValue(attrWs, 'x'), 'a b c\nd', 'attribute-value normalization keeps referenced newlines');
  const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<a>héllo ✓</a>')]);
  t.equal(parseXml(bom).text, 'héllo ✓');
  t.equal(parseXml('\ufeff<a>x</a>').text, 'x', 'BOM in a string');
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<a>ü</a>', 'utf16le')]);
  t.equal(parseXml(utf16).text, 'ü');
  const gb = Buffer.concat([Buffer.from('<?xml version="1.0" encoding="GB2312"?><Subject>'), Buffer.from([0xc4, 0xe3, 0xba, 0xc3]), Buffer.from('</Subject>')]);
  t.equal(parseXml(gb).text, '你好', 'legacy encoding from the declaration (REL-6 China Mobile style)');
  xmlError(t, () => parseXml(Buffer.from('<?xml version="1.0" encoding="x-klingon"?><a/>')), 'encoding', 'unknown encoding');
  t.equal(parseXml('<!DOCTYPE smil PUBLIC "-//W3C//DTD SMIL 1.0//EN" "http://www.w3.org/TR/REC-smil/SMIL10.dtd"><smil/>').name, 'smil', 'external DOCTYPE without subset is harmless');
});

t.test('entity attacks and DTDs are refused', async (t) => {
  const laughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<lolz>&lol3;</lolz>`;
  xmlError(t, () => parseXml(laughs), 'doctype', 'billion laughs');
  xmlError(t, () => parseXml('<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>'), 'doctype', 'external entity (XXE)');
  xmlError(t, () => parseXml('<foo>&xxe;</foo>'), 'entity', 'undeclared entity');
  xmlError(t, () => parseXml('<foo a="&constructor;"/>'), 'entity', 'no prototype lookups');
  xmlError(t, () => parseXml('<foo>&#0;</foo>'), 'entity', 'NUL reference');
  xmlError(t, () => parseXml('<foo>&#xD800;</foo>'), 'entity', 'surrogate reference');
  xmlError(t, () => parseXml('<foo>&#x110000;</foo>'), 'entity', 'out of range');
  xmlError(t, () => parseXml('<foo><!DOCTYPE x></foo>'), 'doctype', 'DOCTYPE in content');
  xmlError(t, () => parseXml('<!DOCTYPE a><!DOCTYPE a><a/>'), 'doctype', 'two DOCTYPEs');
  xmlError(t, () => parseXml('<!DOCTYPE a SYSTEM "x" [ ]><a/>'), 'doctype', 'empty internal subset still refused');
});

t.test('limits', async (t) => {
  const deep = '<a>'.repeat(100_000) + '</a>'.repeat(100_000);
  xmlError(t, () => parseXml(deep), 'limit', 'deep nesting (100k) without stack overflow');
  t.equal(parseXml('<a><a><a/></a></a>', { maxDepth: 3 }).name, 'a', 'exactly at the depth limit');
  xmlError(t, () => parseXml('<a><a><a><a/></a></a></a>', { maxDepth: 3 }), 'limit', 'one over the depth limit');
  xmlError(t, () => parseXml('<r>' + '<x/>'.repeat(11) + '</r>', { maxNodes: 11 }), 'limit', 'node count');
  t.equal(parseXml('<r>' + '<x/>'.repeat(10) + '</r>', { maxNodes: 11 }).children.length, 10);
  const attrs = Array.from({ length: 5 }, (_, i) => ` a${i}="v"`).join('');
  xmlError(t, () => parseXml(`<r${attrs}/>`, { maxAttributes: 4 }), 'limit', 'attribute count');
  xmlError(t, () => parseXml(`<r>${'x'.repeat(101)}</r>`, { maxTextLength: 100 }), 'limit', 'text length');
  xmlError(t, () => parseXml(`<r>${'x'.repeat(60)}<![CDATA[${'y'.repeat(60)}]]></r>`, { maxTextLength: 100 }), 'limit', 'text length across chunks');
  xmlError(t, () => parseXml(`<r a="${'x'.repeat(101)}"/>`, { maxTextLength: 100 }), 'limit', 'attribute length');
  xmlError(t, () => parseXml(`<r/>`, { maxInputLength: 3 }), 'limit', 'input length');
});

t.test('malformed documents give XmlError with the offset', async (t) => {
  const cases: [string, XmlError['code']][] = [
    ['', 'syntax'],
    ['just text', 'syntax'],
    ['<a>', 'syntax'],
    ['<a></b>', 'syntax'],
    ['<a><b></a></b>', 'syntax'],
    ['<a/><b/>', 'syntax'],
    ['<a/>trailing', 'syntax'],
    ['<a x=1/>', 'syntax'],
    ['<a x="1" x="2"/>', 'syntax'],
    ['<a x="1"y="2"/>', 'syntax'],
    ['<a x="<"/>', 'syntax'],
    ['<a>AT&T</a>', 'syntax'],
    ['<a><!-- open </a>', 'syntax'],
    ['<a><![CDATA[ open </a>', 'syntax'],
    ['<p:a/>', 'namespace'],
    ['<a xmlns:p="urn:1" p:x="1" xmlns:q="urn:1" q:x="2"/>', 'namespace'],
    ['<a xmlns:="urn:x"/>', 'namespace'],
    ['</a>', 'syntax'],
    ['<a', 'syntax'],
  ];
  for (const [doc, code] of cases) xmlError(t, () => parseXml(doc), code, JSON.stringify(doc));
  try {
    parseXml('<a>\n  <b></c>\n</a>');
  } catch (e) {
    t.equal((e as XmlError).offset, 9, 'offset points at the bad end tag');
  }
});

t.test('lenient mode accepts undeclared prefixes and bare ampersands, never unknown entities', async (t) => {
  const root = parseXml('<prf:Vendor>AT&T & co</prf:Vendor>', { lenient: true });
  t.equal(root.local, 'Vendor');
  t.equal(root.ns, '');
  t.equal(root.text, 'AT&T & co');
  xmlError(t, () => parseXml('<a>&lol;</a>', { lenient: true }), 'entity', 'unknown entity in lenient mode');
});

t.test('serializer escapes and round-trips', async (t) => {
  const tree = element('m:Root', { 'xmlns:m': 'urn:m', note: 'a "b" <c> & d\n\te' }, [
    element('m:Text', {}, 'x < y && z > w\r\n]]> \u0001bell'),
    element('Empty'),
    undefined,
    false,
  ]);
  const xml = serializeXml(tree, { declaration: true });
  t.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?><m:Root xmlns:m="urn:m" note="a &quot;b&quot; &lt;c&gt; &amp; d&#10;&#9;e">/);
  t.match(xml, /<Empty\/>/);
  t.notMatch(xml, /\u0001/, 'control characters XML cannot carry are dropped');
  const back = parseXml(xml);
  t.equal(back.ns, 'urn:m');
  t.equal(attrValue(back, 'note'), 'a "b" <c> & d\n\te');
  t.equal(back.children[0]!.text, 'x < y && z > w\r\n]]> bell');
  const pretty = serializeXml(parseXml('<a><b>t</b><c><d/></c></a>'), { indent: '  ' });
  t.equal(pretty, '<a>\n  <b>t</b>\n  <c>\n    <d/>\n  </c>\n</a>\n');
  const deep: XmlElement = element('a');
  let cur = deep;
  for (let i = 0; i < 50_000; i++) {
    const n = element('a');
    cur.children.push(n);
    cur = n;
  }
  t.equal(serializeXml(deep).length, 50_001 * 7 - 3, 'deep trees serialize without recursion');
});

t.test('characters XML cannot carry are refused', async (t) => {
  xmlError(t, () => parseXml('<a>\u0001</a>'), 'syntax', 'control character');
  xmlError(t, () => parseXml('<a x="\ud800"/>'), 'syntax', 'lone surrogate');
  t.equal(parseXml('<a>\u{1F600}</a>').text, '\u{1F600}', 'surrogate pairs are fine');
});
