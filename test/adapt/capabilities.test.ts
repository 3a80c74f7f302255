import t from 'tap';
import { CapabilityResolver } from '../../src/adapt/capabilities.js';
import { BUILTIN_DEFAULT, parseDeviceClasses, loadDeviceClasses, capabilityKey, DeviceClassError } from '../../src/adapt/handset.js';
import { guardedGet as guardedFetch, isPrivateAddress } from '../../src/net/guarded-request.js';
import { adaptConfig, httpServer, silent, testStore, uaprofXml } from './helpers.js';

const classes = loadDeviceClasses('config/device-classes.json');

t.test('the shipped device classes load; an Android UA gets its class, an unknown UA the default', async (t) => {
  const store = testStore(t);
  const r = new CapabilityResolver({ config: adaptConfig(), store, classes, logger: silent });
  const android = await r.resolve({ 'user-agent': 'Android-Mms/2.0' });
  t.match(android, { source: 'class', className: 'android', maxMessageSize: 1048576 });
  const unknown = await r.resolve({ 'user-agent': 'Something/1.0' });
  t.match(unknown, { source: 'default', className: 'default', maxMessageSize: 307200, maxImage: { w: 640, h: 480 } });
  const none = await r.resolve({});
  t.equal(none.source, 'default');
});

t.test('a good UAProf is fetched, parsed and cached: the second retrieval does not fetch again', async (t) => {
  const store = testStore(t);
  const srv = await httpServer(t, {
    '/good.xml': (_q, s) => s.writeHead(200, { 'content-type': 'text/xml' }).end(uaprofXml({ maxSize: 102400, maxImage: '176x144', accept: ['image/jpeg', 'image/GIF', 'text/plain', 'application/smil'], charsets: ['UTF-8', 'ISO-8859-1'] })),
  });
  const r = new CapabilityResolver({ config: adaptConfig(), store, classes, logger: silent });
  const headers = { 'x-wap-profile': `"${srv.url}/good.xml"`, 'user-agent': 'Nokia6600' };
  const h = await r.resolve(headers);
  t.match(h, { source: 'uaprof', className: 'feature-phone', maxMessageSize: 102400, maxImage: { w: 176, h: 144 }, smil: true });
  t.same(h.accept, ['image/jpeg', 'image/gif', 'text/plain', 'application/smil']);
  t.same(h.charsets, ['utf-8', 'iso-8859-1']);
  // A second resolver over the same store (another node) uses the cached profile.
  const r2 = new CapabilityResolver({ config: adaptConfig(), store, classes, logger: silent });
  t.same(await r2.resolve(headers), h);
  t.equal(srv.hits['/good.xml'], 1, 'fetched once');
});

t.test('concurrent retrievals with one profile URL share one fetch', async (t) => {
  const store = testStore(t);
  const srv = await httpServer(t, {
    '/p.xml': (_q, s) => setTimeout(() => s.writeHead(200).end(uaprofXml({ maxSize: 200000 })), 100),
  });
  const r = new CapabilityResolver({ config: adaptConfig(), store, classes, logger: silent });
  const all = await Promise.all(Array.from({ length: 5 }, () => r.resolve({ 'x-wap-profile': `${srv.url}/p.xml` })));
  t.ok(all.every((h) => h.maxMessageSize === 200000));
  t.equal(srv.hits['/p.xml'], 1);
});

t.test('broken XML, a 404, a schema instead of a profile and a slow server fall back, and the failure is cached', async (t) => {
  const store = testStore(t);
  const srv = await httpServer(t, {
    '/broken.xml': (_q, s) => s.writeHead(200).end('<rdf:RDF xmlns:rdf="x"><rdf:Description><unclosed></rdf:RDF>'),
    '/schema.xml': (_q, s) => s.writeHead(200).end('<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="#x"/></rdf:RDF>'),
    '/slow.xml': (_q, s) => { const timer = setTimeout(() => s.writeHead(200).end(uaprofXml({ maxSize: 999999 })), 3000); s.on('close', () => clearTimeout(timer)); },
    '/big.xml': (_q, s) => s.writeHead(200).end('<rdf:RDF>' + ' '.repeat(300 * 1024) + '</rdf:RDF>'),
  });
  const config = adaptConfig((c) => (c.uaprof.timeoutMs = 300));
  const r = new CapabilityResolver({ config, store, classes, logger: silent });
  for (const path of ['/broken.xml', '/missing.xml', '/schema.xml', '/slow.xml', '/big.xml']) {
    const h = await r.resolve({ 'x-wap-profile': `${srv.url}${path}`, accept: '*/*, application/vnd.wap.mms-message' });
    t.match(h, { source: 'default', maxMessageSize: 307200 }, `${path}: default class`);
    await r.resolve({ 'x-wap-profile': `${srv.url}${path}` });
    t.equal(srv.hits[path], 1, `${path}: failure cached, fetched once`);
  }
});

t.test('without a profile, Accept / Accept-Charset naming media types are used', async (t) => {
  const store = testStore(t);
  const r = new CapabilityResolver({ config: adaptConfig(), store, classes, logger: silent });
  const h = await r.resolve({ accept: 'image/gif, image/png;q=0.5, image/jpeg;q=0, text/plain, */*', 'accept-charset': 'ISO-8859-1' });
  t.match(h, { source: 'headers', smil: false });
  t.same(h.accept, ['image/gif', 'image/png', 'text/plain']);
  t.same(h.charsets, ['iso-8859-1']);
});

t.test('x-wap-profile-diff overrides the fetched profile', async (t) => {
  const store = testStore(t);
  const srv = await httpServer(t, { '/base.xml': (_q, s) => s.writeHead(200).end(uaprofXml({ maxSize: 100000, maxImage: '640x480' })) });
  const r = new CapabilityResolver({ config: adaptConfig(), store, classes, logger: silent });
  const diff = uaprofXml({ maxSize: 600000 }).replace(/\n/g, ' ');
  const h = await r.resolve({ 'x-wap-profile': `"${srv.url}/base.xml", "1-abcdEFGH12345678901234=="`, 'x-wap-profile-diff': `1;${diff}` });
  t.equal(h.maxMessageSize, 600000);
  t.same(h.maxImage, { w: 640, h: 480 });
});

t.test('SSRF guard: private and loopback targets are refused unless configured', async (t) => {
  const srv = await httpServer(t, { '/p.xml': (_q, s) => s.writeHead(200).end(uaprofXml({ maxSize: 1 })) });
  await t.rejects(guardedFetch(`${srv.url}/p.xml`, { timeoutMs: 1000, maxBytes: 1000, allowPrivate: false }), reason('blocked'));
  await t.rejects(guardedFetch(`http://localhost:${new URL(srv.url).port}/p.xml`, { timeoutMs: 1000, maxBytes: 1000, allowPrivate: false }), reason('blocked'), 'a name resolving to loopback');
  await t.rejects(guardedFetch('http://[::ffff:10.1.2.3]/x', { timeoutMs: 1000, maxBytes: 1000, allowPrivate: false }), reason('blocked'));
  await t.rejects(guardedFetch('file:///etc/passwd', { timeoutMs: 1000, maxBytes: 1000, allowPrivate: true }), reason('url'));
  t.ok((await guardedFetch(`${srv.url}/p.xml`, { timeoutMs: 1000, maxBytes: 100000, allowPrivate: true })).length > 0);
  for (const a of ['127.0.0.1', '10.0.0.1', '172.16.5.5', '192.168.1.1', '169.254.169.254', '::1', 'fd00::1', 'fe80::1', '100.64.0.1']) t.ok(isPrivateAddress(a), a);
  for (const a of ['8.8.8.8', '2001:4860:4860::8888', '172.32.0.1']) t.notOk(isPrivateAddress(a), a);

  // Through the resolver: the default (guarded) config does not fetch from loopback at all.
  const store = testStore(t);
  const r = new CapabilityResolver({ config: adaptConfig((c) => (c.uaprof.allowPrivateAddresses = false)), store, classes, logger: silent });
  const before = srv.hits['/p.xml'] ?? 0;
  t.equal((await r.resolve({ 'x-wap-profile': `${srv.url}/p.xml` })).source, 'default');
  t.equal(srv.hits['/p.xml'] ?? 0, before, 'no request reached the server');
});

t.test('device class documents are validated; the capability key depends on the limits only', async (t) => {
  t.throws(() => parseDeviceClasses({ classes: [{ name: 'x', userAgent: '(', maxMessageSize: 5000, maxImage: '1x1', accept: [] }] }), DeviceClassError);
  t.throws(() => parseDeviceClasses({ classes: [{ name: 'x', userAgent: 'a', maxMessageSize: 5000, maxImage: '640', accept: [] }] }), /maxImage/);
  t.equal(parseDeviceClasses({}).fallback, BUILTIN_DEFAULT);
  const a = { source: 'class' as const, className: 'a', maxMessageSize: 1000, maxImage: { w: 1, h: 1 }, accept: ['b', 'a'], charsets: [], smil: true, generateSmil: false };
  t.equal(capabilityKey(a), capabilityKey({ ...a, source: 'uaprof', className: 'z', accept: ['a', 'b'] }));
  t.not(capabilityKey(a), capabilityKey({ ...a, maxMessageSize: 1001 }));
});

/** A FetchError with this reason (tap's ErrorMatch type wants an Error-shaped pattern). */
function reason(r: string): Error {
  return { name: 'FetchError', reason: r } as unknown as Error;
}
