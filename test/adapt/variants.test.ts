import t from 'tap';
import { VariantCache, type Variant } from '../../src/adapt/variants.js';
import { testStore } from './helpers.js';

const variant = (n: number): Variant => ({ contentType: { mediaType: 'application/vnd.wap.multipart.mixed', params: {} }, body: Buffer.from([n, 1, 2, 3]), fits: true, changes: [`made ${n}`] });

t.test('cold: one adaptation for concurrent requests; warm: served from the store, also to another node', async (t) => {
  const store = testStore(t);
  let made = 0;
  const produce = async (): Promise<Variant> => {
    made++;
    await new Promise((r) => setTimeout(r, 50));
    return variant(made);
  };
  const cache = new VariantCache(store, 60_000);
  const expires = Date.now() + 3_600_000;
  const first = await Promise.all([1, 2, 3].map(() => cache.get('m1', 'k1', expires, produce)));
  t.equal(made, 1, 'single flight');
  t.same(first.map((r) => r.hit), [false, true, true]);
  const other = new VariantCache(store, 60_000);
  const warm = await other.get('m1', 'k1', expires, produce);
  t.equal(made, 1, 'no second adaptation');
  t.same(warm, { variant: { ...variant(1), body: warm.variant.body }, hit: true });
  t.same(Buffer.from(warm.variant.body), Buffer.from([1, 1, 2, 3]));
  await cache.get('m1', 'k2', expires, produce);
  t.equal(made, 2, 'another capability key is another variant');
});

t.test('a variant is never kept beyond the message expiry', async (t) => {
  const store = testStore(t);
  const now = 1_000_000;
  const cache = new VariantCache(store, 60_000, () => now);
  let made = 0;
  await cache.get('m2', 'k', now - 1, async () => variant(++made));
  await cache.get('m2', 'k', now - 1, async () => variant(++made));
  t.equal(made, 2, 'expired message: nothing cached');
});

t.test('a variant that is the stored body unchanged is not cached', async (t) => {
  const store = testStore(t);
  const cache = new VariantCache(store, 60_000);
  let made = 0;
  const expires = Date.now() + 60_000;
  await cache.get('m3', 'k', expires, async () => ({ ...variant(++made), unchanged: true }));
  await cache.get('m3', 'k', expires, async () => ({ ...variant(++made), unchanged: true }));
  t.equal(made, 2);
  t.equal(await store.cacheGet('variant', 'm3:k'), undefined);
});
