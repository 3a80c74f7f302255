import t from 'tap';
import { packageVersion } from '../src/version.js';

t.test('packageVersion reads package.json', async (t) => {
  t.match(packageVersion(), /^\d+\.\d+\.\d+/);
  t.not(packageVersion(), '0.0.0');
});
