import t from 'tap';
import { parseXml, serializeXml, XmlError, type XmlElement } from '../../protocol/xml/index.js';

/** Deterministic PRNG (mulberry32) so that a failure is reproducible from the iteration number. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const SEEDS = [
  `<?xml version="1.0"?><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Header><mm7:TransactionID xmlns:mm7="urn:mm7" env:mustUnderstand="1">42</mm7:TransactionID></env:Header><env:Body><SubmitReq xmlns="urn:mm7"><Subject>a &amp; b &#233;</Subject><Content href="cid:x"/></SubmitReq></env:Body></env:Envelope>`,
  `<!DOCTYPE smil PUBLIC "-//W3C//DTD SMIL 1.0//EN" "x"><smil><head><layout><root-layout/><region id="Image"/></layout></head><body><par dur="5s"><img src="a.jpg" region="Image"/><![CDATA[x]]></par></body></smil>`,
  `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:prf="urn:prf"><!-- c --><rdf:Description rdf:ID="Profile"><prf:component><rdf:Bag><rdf:li>image/jpeg</rdf:li></rdf:Bag></prf:component></rdf:Description></rdf:RDF>`,
];
const ALPHABET = ['<', '>', '/', '"', "'", '=', '&', ';', '#', 'x', ':', '!', '?', '[', ']', '-', ' ', '\n', 'a', '\u0000', '\uD800', '&lt;', '&#x41;', '<!--', '<![CDATA[', ']]>', '<!DOCTYPE a [', 'xmlns:p="u"', 'p:'];

function mutate(src: string, r: () => number): string {
  let s = src;
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * (s.length + 1));
    const op = Math.floor(r() * 4);
    if (op === 0) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 8));
    else if (op === 1) s = s.slice(0, at) + ALPHABET[Math.floor(r() * ALPHABET.length)] + s.slice(at);
    else if (op === 2) s = s.slice(0, at);
    else {
      const from = Math.floor(r() * s.length);
      s = s.slice(0, at) + s.slice(from, from + Math.floor(r() * 20)) + s.slice(at);
    }
  }
  return s;
}

function shape(el: XmlElement): unknown {
  return [el.name, el.ns, el.attrs.map((a) => [a.name, a.ns, a.value]), el.text, el.children.map(shape)];
}

t.test('mutated documents give a tree or an XmlError, and parsed trees survive serialize + parse', async (t) => {
  const r = rng(20240607);
  let trees = 0;
  let errors = 0;
  for (let i = 0; i < 5000; i++) {
    const doc = mutate(SEEDS[i % SEEDS.length]!, r);
    for (const lenient of [false, true]) {
      let tree: XmlElement;
      try {
        tree = parseXml(i % 2 === 0 ? doc : Buffer.from(doc), { lenient });
      } catch (e) {
        if (!(e instanceof XmlError)) {
          t.fail(`iteration ${i}: ${String(e)} for ${JSON.stringify(doc)}`);
          return;
        }
        errors++;
        continue;
      }
      trees++;
      const again = parseXml(serializeXml(tree), { lenient });
      if (JSON.stringify(shape(again)) !== JSON.stringify(shape(tree))) {
        t.fail(`iteration ${i}: round trip changed ${JSON.stringify(doc)}`);
        return;
      }
    }
  }
  t.ok(trees > 500, `some mutants still parse (${trees})`);
  t.ok(errors > 500, `many mutants are refused (${errors})`);
});
