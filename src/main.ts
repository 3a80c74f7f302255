#!/usr/bin/env node
import { ConfigError, loadConfig } from './config/index.js';
import { startGateway } from './gateway.js';
import { createLogger } from './log.js';
import { packageVersion } from './version.js';

/** CLI entry: load config, start the gateway, stop cleanly on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  if (process.argv.includes('--version')) {
    console.log(packageVersion());
    return;
  }
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`mmsc: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ level: config.log.level });
  // The reason of a crash as a fatal line (written synchronously, see logDestination), not only as
  // a stack on stderr; process.exit then flushes the lines still queued.
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception: exiting');
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    logger.fatal({ err }, 'unhandled promise rejection: exiting');
    process.exit(1);
  });
  const gateway = await startGateway({ config, logger });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    gateway.stop().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'unclean shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
