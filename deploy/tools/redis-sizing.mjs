// Redis memory per accepted message, for sizing (docs/operations.md).
//   npm run build && node deploy/tools/redis-sizing.mjs [redis-url] [messages] [bodyBytes] [recipients]
// Writes under a unique prefix and deletes it afterwards.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisStore } from '../../dist/src/store/redis-store.js';

const [url = 'redis://127.0.0.1:6379', nArg = '2000', bodyArg = '30000', rcptArg = '2'] = process.argv.slice(2);
const n = Number(nArg), bodyBytes = Number(bodyArg), rcpts = Number(rcptArg);
const prefix = `mmsc-sizing:${process.pid}-${randomBytes(3).toString('hex')}:`;
const admin = new Redis(url);
const store = new RedisStore({ url, keyPrefix: prefix });
const used = async () => Number(/used_memory:(\d+)/.exec(await admin.info('memory'))[1]);

const before = await used();
const now = Date.now();
for (let i = 0; i < n; i++) {
  const id = `${now.toString(36)}${randomBytes(8).toString('base64url')}`;
  const to = Array.from({ length: rcpts }, (_, k) => `+1555${String(i).padStart(6, '0')}${k}/TYPE=PLMN`);
  const message = {
    id, createdAt: now, date: Math.floor(now / 1000), expiresAt: now + 7 * 86_400_000, from: '+15550000001/TYPE=PLMN', to, cc: [], bcc: [],
    subject: { text: 'Holiday pictures', charset: 'utf-8' }, messageClass: 'personal', deliveryReport: true, readReport: false,
    contentType: { mediaType: 'application/vnd.wap.multipart.related', params: { type: 'application/smil', start: '<smil>' } },
    contentSize: bodyBytes, mmsVersion: '1.2', origin: { kind: 'mm1', address: '+15550000001/TYPE=PLMN' }, recipientCount: rcpts,
  };
  const recipients = to.map((address, k) => ({
    id: `${id}/${k}`, messageId: id, address, field: 'to', state: 'accepted', token: randomBytes(16).toString('base64url'),
    transactionId: `T${randomBytes(9).toString('base64url')}`, notifyAttempts: 0, pushFailures: 0, createdAt: now, updatedAt: now,
    history: [{ state: 'accepted', at: now }],
  }));
  const jobs = [
    ...recipients.map((r) => ({ type: 'notify', dueAt: 0, key: `notify:${r.id}`, payload: { rid: r.id } })),
    { type: 'expire', dueAt: message.expiresAt, key: `expire:${id}`, payload: { messageId: id } },
  ];
  await store.createMessage(message, randomBytes(bodyBytes), recipients, jobs);
}
const after = await used();
console.log(JSON.stringify({ messages: n, bodyBytes, recipients: rcpts, bytesPerMessage: Math.round((after - before) / n), overheadPerMessage: Math.round((after - before) / n - bodyBytes) }));

let cursor = '0';
do {
  const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
  cursor = next;
  if (keys.length) await admin.del(...keys);
} while (cursor !== '0');
await store.close();
await admin.quit();
