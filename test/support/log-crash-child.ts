/**
 * Child of test/app/log-flush.test.ts: logs a burst of info lines the way the gateway does, then
 * - `error`: an error line, and dies by SIGKILL;
 * - `fatal`: a fatal line, and dies by SIGKILL;
 * - `exit`: an error line and more info lines, and exits normally.
 */
import { createLogger } from '../../src/log.js';

const mode = process.argv[2];
const logger = createLogger({ level: 'info' });
const pad = 'x'.repeat(200);
let i = 0;
for (; i < 1000; i++) logger.info({ i, pad }, 'm-send-req accepted');
if (mode === 'fatal') logger.fatal({ i: i++ }, 'and the last word');
else logger.error({ i: i++ }, 'the line that explains the crash');
if (mode === 'exit') {
  for (; i < 2001; i++) logger.info({ i, pad }, 'm-send-req accepted');
  process.exit(0);
}
process.kill(process.pid, 'SIGKILL');
