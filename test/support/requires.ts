/**
 * Tests that need something outside node_modules (a Redis, tshark, ffmpeg, the conformance corpus,
 * a browser) declare it here instead of skipping quietly.
 *
 *   const redis = await findRedis();
 *   t.test('...', { skip: requires('redis', !redis && 'no Redis on 127.0.0.1:6379 and no redis-server') }, ...)
 *
 * Outside CI a missing area skips with the reason "requires: <area> (<why>)", which
 * .ci/summarize.mjs counts and names. In CI (`CI` set) the same call also fails the test file, and
 * the summarizer counts such a skip as a failure: .ci/run installs and starts everything these
 * areas need, so a skip there means the run did not test what it claims. The areas are listed in
 * required-areas.json (read by the summarizer too); add one there when a new kind of check appears.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import t from 'tap';

export type Area = 'redis' | 'tshark' | 'ffmpeg' | 'conformance' | 'browser';
export const REQUIRED_AREAS: readonly string[] = JSON.parse(readFileSync(join(import.meta.dirname, 'required-areas.json'), 'utf8')) as string[];

export function inCi(): boolean {
  const v = process.env.CI;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/**
 * tap's `skip` option for a test that needs `area`: false when `missing` is falsy (the area is
 * there), else the recognised skip reason - and, in CI, a failure of this test file.
 */
export function requires(area: Area, missing: string | false | undefined | null): string | false {
  if (!missing) return false;
  if (!REQUIRED_AREAS.includes(area)) throw new Error(`unknown required area ${area}: add it to test/support/required-areas.json`);
  const reason = `requires: ${area} (${missing})`;
  if (inCi()) t.fail(`${reason}: CI must provide it (.ci/run installs and starts what the tests need)`);
  return reason;
}

const runs = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

export function requiresTshark(): string | false {
  return requires('tshark', !runs('tshark', ['--version']) && 'tshark is not installed (apt-get install tshark)');
}

export function requiresFfmpeg(): string | false {
  return requires('ffmpeg', !runs('ffmpeg', ['-hide_banner', '-version']) && 'ffmpeg is not installed (apt-get install ffmpeg)');
}

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export function requiresBrowser(): string | false {
  return requires('browser', !existsSync(CHROMIUM) && `no browser at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
}

/** The conformance corpus: MMS_CONFORMANCE_DIR, else ../shared/conformance beside the repository. */
export const CONFORMANCE_DIR = resolve(process.env.MMS_CONFORMANCE_DIR ?? resolve(import.meta.dirname, '../../../shared/conformance'));
export function requiresConformance(): string | false {
  return requires('conformance', !existsSync(join(CONFORMANCE_DIR, 'index.json')) && `no corpus at ${CONFORMANCE_DIR} (set MMS_CONFORMANCE_DIR)`);
}
