import t from 'tap';
import { mergeCapabilities, parseProfileDiffHeader, parseProfileHeader, parseUaProf, UaProfError, MMS_NS_12, PRF_NS_2002, PRF_NS_2001, MMS_NS_2001, RDF_NS } from '../../protocol/uaprof/index.js';
import { XmlError } from '../../protocol/xml/index.js';

// OMA 2002 schema + MMS 1.2 schema, everything in Bags (shaped after a Nokia Series 40 profile).
const OMA_PROFILE = `<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="${RDF_NS}" xmlns:prf="${PRF_NS_2002}" xmlns:mms="${MMS_NS_12}">
 <rdf:Description rdf:ID="Profile">
  <prf:component>
   <rdf:Description rdf:ID="HardwarePlatform">
    <rdf:type rdf:resource="${PRF_NS_2002}HardwarePlatform"/>
    <prf:BitsPerPixel>24</prf:BitsPerPixel>
    <prf:ColorCapable>Yes</prf:ColorCapable>
    <prf:ImageCapable>Yes</prf:ImageCapable>
    <prf:Model>6230i</prf:Model>
    <prf:ScreenSize>208x208</prf:ScreenSize>
    <prf:ScreenSizeChar>15x6</prf:ScreenSizeChar>
    <prf:Vendor>Nokia</prf:Vendor>
   </rdf:Description>
  </prf:component>
  <prf:component>
   <rdf:Description rdf:ID="SoftwarePlatform">
    <rdf:type rdf:resource="${PRF_NS_2002}SoftwarePlatform"/>
    <prf:CcppAccept><rdf:Bag><rdf:li>application/xhtml+xml</rdf:li><rdf:li>image/JPG</rdf:li></rdf:Bag></prf:CcppAccept>
    <prf:CcppAccept-Charset><rdf:Bag><rdf:li>UTF-8</rdf:li><rdf:li>ISO-8859-1</rdf:li></rdf:Bag></prf:CcppAccept-Charset>
   </rdf:Description>
  </prf:component>
  <prf:component>
   <rdf:Description rdf:ID="BrowserUA">
    <rdf:type rdf:resource="${PRF_NS_2002}BrowserUA"/>
    <prf:CcppAccept><rdf:Bag><rdf:li>text/html</rdf:li><rdf:li>image/jpeg</rdf:li></rdf:Bag></prf:CcppAccept>
   </rdf:Description>
  </prf:component>
  <prf:component>
   <rdf:Description rdf:ID="MmsCharacteristics">
    <rdf:type rdf:resource="${MMS_NS_12}MmsCharacteristics"/>
    <mms:MmsMaxMessageSize>614400</mms:MmsMaxMessageSize>
    <mms:MmsMaxImageResolution>1600x1200</mms:MmsMaxImageResolution>
    <mms:MmsCcppAccept><rdf:Bag>
     <rdf:li>image/jpeg</rdf:li><rdf:li>image/gif</rdf:li><rdf:li>audio/amr</rdf:li><rdf:li>video/3gpp</rdf:li><rdf:li>application/smil</rdf:li>
    </rdf:Bag></mms:MmsCcppAccept>
    <mms:MmsCcppAcceptCharSet><rdf:Bag><rdf:li>UTF-8</rdf:li><rdf:li>US-ASCII</rdf:li></rdf:Bag></mms:MmsCcppAcceptCharSet>
    <mms:MmsCcppAcceptLanguage><rdf:Seq><rdf:li>en</rdf:li><rdf:li>fi</rdf:li></rdf:Seq></mms:MmsCcppAcceptLanguage>
    <mms:MmsVersion><rdf:Bag><rdf:li>1.0</rdf:li><rdf:li>1.1</rdf:li><rdf:li>1.2</rdf:li></rdf:Bag></mms:MmsVersion>
    <mms:MmsCcppStreamingCapable>No</mms:MmsCcppStreamingCapable>
   </rdf:Description>
  </prf:component>
 </rdf:Description>
</rdf:RDF>`;

// WAP 2001 namespaces, Windows Phone style ID "MMSCharacteristics", abbreviated attribute syntax.
const WINDOWS_PROFILE = `<rdf:RDF xmlns:rdf="${RDF_NS}" xmlns:prf="${PRF_NS_2001}" xmlns:mms="${MMS_NS_2001}">
 <rdf:Description rdf:ID="Profile">
  <prf:component><rdf:Description rdf:ID="HardwarePlatform" prf:ScreenSize="480x800" prf:Vendor="Microsoft"/></prf:component>
  <prf:component><rdf:Description rdf:ID="MMSCharacteristics" rdf:type="${MMS_NS_2001}MmsCharacteristics">
   <mms:MmsMaxMessageSize>1228800</mms:MmsMaxMessageSize>
   <mms:MmsMaxImageResolution>1280X960</mms:MmsMaxImageResolution>
  </rdf:Description></prf:component>
 </rdf:Description>
</rdf:RDF>`;

// Broken in the ways notes §7/§9 list: wrong namespace year, MmsVersion literal, no Bag (comma list),
// MmsCcppAccept-CharSet spelling, stray rdf:li without Bag, an undeclared prefix and a bare '&'.
const BROKEN_PROFILE = `<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="${RDF_NS}" xmlns:prf="http://www.wapforum.org/profiles/UAPROF/ccppschema-20000405#">
 <rdf:Description rdf:ID="SonyEricssonK750i">
  <prf:component>
   <rdf:Description rdf:ID="HardwarePlatform">
    <prf:Vendor>AT&T Sony Ericsson</prf:Vendor>
    <prf:ScreenSize> 176 x 220 </prf:ScreenSize>
   </rdf:Description>
  </prf:component>
  <prf:component>
   <rdf:Description rdf:ID="MmsCharacteristics">
    <mms:MmsMaxMessageSize>300000</mms:MmsMaxMessageSize>
    <mms:MmsVersion>1.2</mms:MmsVersion>
    <mms:MmsCcppAccept>image/jpg, image/gif,audio/amr  video/3gpp</mms:MmsCcppAccept>
    <mms:MmsCcppAccept-CharSet><rdf:li>UTF-8</rdf:li><rdf:li>ISO-10646-UCS-2</rdf:li></mms:MmsCcppAccept-CharSet>
    <mms:MmsMaxImageResolution>large</mms:MmsMaxImageResolution>
   </rdf:Description>
  </prf:component>
 </rdf:Description>
</rdf:RDF>`;

t.test('OMA 2002 / MMS 1.2 profile with Bags and Seqs', async (t) => {
  const c = parseUaProf(Buffer.from(OMA_PROFILE));
  t.match(c, {
    vendor: 'Nokia',
    model: '6230i',
    screenSize: { w: 208, h: 208 },
    screenSizeChar: { w: 15, h: 6 },
    bitsPerPixel: 24,
    colorCapable: true,
    imageCapable: true,
    mmsMaxMessageSize: 614400,
    mmsMaxImageResolution: { w: 1600, h: 1200 },
    mmsCcppStreamingCapable: false,
  });
  t.same(c.mmsCcppAccept, ['image/jpeg', 'image/gif', 'audio/amr', 'video/3gpp', 'application/smil']);
  t.same(c.mmsCcppAcceptCharSet, ['UTF-8', 'US-ASCII']);
  t.same(c.mmsCcppAcceptLanguage, ['en', 'fi']);
  t.same(c.mmsVersion, ['1.0', '1.1', '1.2']);
  t.same(c.ccppAccept, ['application/xhtml+xml', 'image/jpeg', 'text/html'], 'software and browser CcppAccept merged, image/JPG normalised');
  t.same(c.ccppAcceptCharset, ['UTF-8', 'ISO-8859-1']);
  t.same(c.attributes['MmsCharacteristics.MmsMaxMessageSize'], ['614400']);
  t.same(c.attributes['HardwarePlatform.Vendor'], ['Nokia']);
});

t.test('WAP 2001 namespaces, MMSCharacteristics id, abbreviated RDF attributes', async (t) => {
  const c = parseUaProf(WINDOWS_PROFILE);
  t.same(c.screenSize, { w: 480, h: 800 });
  t.equal(c.vendor, 'Microsoft');
  t.equal(c.mmsMaxMessageSize, 1228800);
  t.same(c.mmsMaxImageResolution, { w: 1280, h: 960 });
  t.ok('MmsCharacteristics.MmsMaxMessageSize' in c.attributes, 'component named by rdf:type over rdf:ID');
  t.same(c.mmsCcppAccept, []);
});

t.test('broken real-world profiles are read as far as they make sense', async (t) => {
  const c = parseUaProf(BROKEN_PROFILE);
  t.equal(c.vendor, 'AT&T Sony Ericsson');
  t.same(c.screenSize, { w: 176, h: 220 });
  t.equal(c.mmsMaxMessageSize, 300000);
  t.same(c.mmsVersion, ['1.2'], 'MmsVersion literal instead of Bag');
  t.same(c.mmsCcppAccept, ['image/jpeg', 'image/gif', 'audio/amr', 'video/3gpp'], 'comma list without Bag');
  t.same(c.mmsCcppAcceptCharSet, ['UTF-8', 'ISO-10646-UCS-2'], 'MmsCcppAccept-CharSet with stray rdf:li');
  t.equal(c.mmsMaxImageResolution, undefined, 'unparseable resolution is left unset');
});

t.test('documents that are not profiles', async (t) => {
  const schema = `<rdf:RDF xmlns:rdf="${RDF_NS}" xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#"><rdf:Description rdf:ID="MmsMaxMessageSize"><rdfs:comment>Maximum size</rdfs:comment><rdfs:domain rdf:resource="#MmsCharacteristics"/></rdf:Description></rdf:RDF>`;
  t.throws(() => parseUaProf(schema), UaProfError, 'the OMA schema sent as x-wap-profile (AOSP XTRA downloader)');
  t.throws(() => parseUaProf('<html><body>404</body></html>'), UaProfError);
  t.throws(() => parseUaProf(OMA_PROFILE.slice(0, 500)), XmlError, 'truncated download');
  t.throws(() => parseUaProf(`<!DOCTYPE r [<!ENTITY a "b">]>${WINDOWS_PROFILE}`), XmlError, 'entity declarations');
});

t.test('profile-diff merges over the base', async (t) => {
  const base = parseUaProf(OMA_PROFILE);
  const diff = parseProfileDiffHeader(`1;<rdf:RDF xmlns:rdf="${RDF_NS}" xmlns:prf="${PRF_NS_2002}"><rdf:Description rdf:ID="Profile"><prf:component><rdf:Description rdf:ID="HardwarePlatform"><prf:ScreenSize>240x320</prf:ScreenSize></rdf:Description></prf:component></rdf:Description></rdf:RDF>`)!;
  t.equal(diff.sequence, 1);
  const merged = mergeCapabilities(base, parseUaProf(diff.document));
  t.same(merged.screenSize, { w: 240, h: 320 });
  t.equal(merged.mmsMaxMessageSize, 614400);
  t.same(merged.mmsCcppAccept, base.mmsCcppAccept, 'lists absent from the diff are kept');
  t.same(base.screenSize, { w: 208, h: 208 }, 'base not mutated');
  t.equal(parseProfileDiffHeader('2;'), undefined);
  t.same(parseProfileDiffHeader('<rdf:RDF/>'), { sequence: 1, document: '<rdf:RDF/>' });
  t.equal(parseProfileDiffHeader('garbage'), undefined);
});

t.test('x-wap-profile / Profile header values', async (t) => {
  t.same(parseProfileHeader('"http://nds1.nds.nokia.com/uaprof/N6230ir200.xml"'), { urls: ['http://nds1.nds.nokia.com/uaprof/N6230ir200.xml'], diffs: [] });
  t.same(parseProfileHeader('http://wap.sonyericsson.com/UAprof/K750iR101.xml'), { urls: ['http://wap.sonyericsson.com/UAprof/K750iR101.xml'], diffs: [] }, 'unquoted');
  t.same(parseProfileHeader('"http://a.example/p.xml", "1-bVwpVGXJd+FLTAvUvZBOmQ==", "2-Ae3FzqaKz4g9Gu1WSwzuQQ=="'), {
    urls: ['http://a.example/p.xml'],
    diffs: [
      { sequence: 1, digest: 'bVwpVGXJd+FLTAvUvZBOmQ==' },
      { sequence: 2, digest: 'Ae3FzqaKz4g9Gu1WSwzuQQ==' },
    ],
  });
  t.same(parseProfileHeader(['"http://a.example/p.xml"', '"https://b.example/q,r.xml"', '"http://a.example/p.xml"']).urls, ['http://a.example/p.xml', 'https://b.example/q,r.xml'], 'several headers, comma inside quotes, duplicates dropped');
  t.same(parseProfileHeader('null, ftp://x/y, "  "'), { urls: [], diffs: [] });
  t.same(parseProfileHeader(undefined), { urls: [], diffs: [] });
});
