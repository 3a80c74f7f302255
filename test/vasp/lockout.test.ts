/**
 * Issue 16, finding 3: nobody outside a VASP's allowed sources can lock it out of MM7 or learn
 * whether a password (or an API key) is right. Over real sockets: the outside address is 127.0.0.2,
 * the VASP's own 127.0.0.1.
 */
import t from 'tap';
import { Agent, request } from 'undici';
import type { Gateway } from '../../src/gateway.js';
import { hashPassword, VaspAccounts } from '../../src/vasp/accounts.js';
import { NS_REL6_14, SOAP } from '../mm7/fixtures.js';
import { account, API_KEY, basic, bearer, vaspGateway } from './helpers.js';

const outside = new Agent({ localAddress: '127.0.0.2' });
const inside = new Agent({ localAddress: '127.0.0.1' });
t.teardown(async () => {
  await outside.close();
  await inside.close();
});

function submitBody(vaspId: string): { contentType: string; body: string } {
  const env = `<?xml version="1.0"?><env:Envelope xmlns:env="${SOAP}"><env:Header><TransactionID xmlns="${NS_REL6_14}">t-lock-${Math.random()}</TransactionID></env:Header>
<env:Body><SubmitReq xmlns="${NS_REL6_14}"><MM7Version>6.8.0</MM7Version><SenderIdentification><VASPID>${vaspId}</VASPID>
<SenderAddress><ShortCode>12345</ShortCode></SenderAddress></SenderIdentification>
<Recipients><To><Number>+15551230001</Number></To></Recipients><Content href="cid:mm"/></SubmitReq></env:Body></env:Envelope>`;
  return {
    contentType: 'multipart/related; type="text/xml"; start="<env>"; boundary=b1',
    body: `--b1\r\nContent-Type: text/xml\r\nContent-ID: <env>\r\n\r\n${env}\r\n--b1\r\nContent-Type: text/plain\r\nContent-ID: <mm>\r\n\r\nHello\r\n--b1--\r\n`,
  };
}

async function mm7(gw: Gateway, from: Agent, auth: string, vaspId = 'TNN'): Promise<{ status: number; text: string }> {
  const s = submitBody(vaspId);
  const res = await request(`${gw.url}/mm7`, { method: 'POST', dispatcher: from, headers: { 'content-type': s.contentType, authorization: auth, soapaction: '""' }, body: s.body });
  return { status: res.statusCode, text: await res.body.text() };
}

t.test('outside the allowed sources: 403 whatever the password, and no lock-out of the VASP at home', async (t) => {
  const { gw } = await vaspGateway(t, (c) => {
    c.vasp.auth = { maxFailuresPerUser: 2, maxFailuresPerSource: 100, windowSeconds: 600 };
    c.vasp.accounts = [account('TNN', { allowedSources: ['127.0.0.1/32'] })];
  });
  for (let i = 0; i < 6; i++) t.equal((await mm7(gw, outside, basic('TNN', `guess-${i}`))).status, 403, `guess ${i} from outside`);
  const right = await mm7(gw, outside, basic('TNN'));
  t.equal(right.status, 403, 'the right password from outside gets the same answer: no oracle');
  const home = await mm7(gw, inside, basic('TNN'));
  t.equal(home.status, 200, 'the VASP (not verified before) is not locked out on its own address');
  t.match(home.text, /<StatusCode>1000<\/StatusCode>/);
});

t.test('failures are counted per (user, source): guesses from one address do not lock the account elsewhere', async (t) => {
  const { gw } = await vaspGateway(t, (c) => {
    c.vasp.auth = { maxFailuresPerUser: 2, maxFailuresPerSource: 100, windowSeconds: 600 };
  });
  for (let i = 0; i < 2; i++) t.equal((await mm7(gw, outside, basic('TNN', `guess-${i}`))).status, 401);
  t.equal((await mm7(gw, outside, basic('TNN'))).status, 401, 'this (user, source) is locked: even the right password waits');
  t.equal((await mm7(gw, inside, basic('TNN'))).status, 200, 'from another address the password is checked');
});

t.test('REST keys: a peer outside every allowed source gets 403 before any key work; a valid key from a wrong address reads as unknown', async (t) => {
  const { gw } = await vaspGateway(t, (c) => {
    c.vasp.accounts = [account('TNN', { allowedSources: ['127.0.0.1/32'] })];
  });
  const post = async (from: Agent, auth: string) => {
    const res = await request(`${gw.url}/api/v1/messages`, { method: 'POST', dispatcher: from, headers: { 'content-type': 'application/json', authorization: auth }, body: JSON.stringify({ to: ['+15550005001'], text: 'x' }) });
    return { status: res.statusCode, body: await res.body.text() };
  };
  const wrong = await post(outside, 'Bearer not-a-key');
  const valid = await post(outside, bearer('TNN'));
  t.equal(wrong.status, 403);
  t.same(valid, wrong, 'the same answer for a valid and an invalid key');
  t.equal((await post(inside, bearer('TNN'))).status, 202);

  // With an account open to any source, a valid key used from outside its own account's list is a 401 like an unknown key.
  const { gw: gw2 } = await vaspGateway(t, (c) => {
    c.vasp.accounts = [account('TNN', { allowedSources: ['127.0.0.1/32'] }), account('OPEN', { shortCodes: ['777'] })];
  });
  const post2 = async (auth: string) => {
    const res = await request(`${gw2.url}/api/v1/messages`, { method: 'POST', dispatcher: outside, headers: { 'content-type': 'application/json', authorization: auth }, body: JSON.stringify({ to: ['+15550005001'], text: 'x' }) });
    return { status: res.statusCode, body: await res.body.text() };
  };
  const unknown = await post2(`Bearer ${API_KEY}-nobody`);
  t.equal(unknown.status, 401);
  t.same(await post2(bearer('TNN')), unknown);
});

t.test('VaspAccounts: source before password, failures per (user, source), no global lock per user', async (t) => {
  let now = 1_000_000;
  const b64 = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
  const accounts = new VaspAccounts(
    [
      { id: 'walled', passwordHash: hashPassword('right'), allowedSources: ['10.0.0.0/8'] },
      { id: 'open', passwordHash: hashPassword('right') },
    ],
    { now: () => now, limits: { maxFailuresPerUser: 2, maxFailuresPerSource: 50, windowSeconds: 60 } },
  );
  t.match(await accounts.basic(b64('walled:guess'), '192.0.2.1'), { ok: false, refusal: 'source' });
  t.match(await accounts.basic(b64('walled:right'), '192.0.2.1'), { ok: false, refusal: 'source' }, 'the same for the right password');
  t.match(await accounts.basic(b64('walled:right'), '10.1.1.1'), { ok: true });
  for (let i = 0; i < 2; i++) t.match(await accounts.basic(b64(`open:guess-${i}`), '192.0.2.1'), { ok: false, refusal: 'credentials', reason: /wrong password/ });
  t.match(await accounts.basic(b64('open:right'), '192.0.2.1'), { ok: false, reason: /too many failed passwords for "open" from 192\.0\.2\.1/ });
  t.match(await accounts.basic(b64('open:right'), '198.51.100.1'), { ok: true }, 'another source is not locked');
  now += 60_000;
  t.match(await accounts.basic(b64('open:right'), '192.0.2.1'), { ok: true });

  const listed = new VaspAccounts([{ id: 'walled', passwordHash: hashPassword('right'), allowedSources: ['10.0.0.0/8'] }]);
  t.match(await listed.basic(b64('nobody:x'), '192.0.2.1'), { ok: false, refusal: 'source' }, 'outside every list: 403 even for an unknown user');
  t.match(await listed.basic(b64('nobody:x'), '10.0.0.1'), { ok: false, refusal: 'credentials', reason: /unknown user/ });
  t.match(listed.apiKey('Bearer x', undefined, '192.0.2.1'), { ok: false, refusal: 'source' });
});
