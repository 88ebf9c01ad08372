import { createLogger, type Logger } from '../../logging/logger';

/** Silent unless TEST_LOG_LEVEL asks for output. */
export function testLogger(): Logger {
  return createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', name: 'test' });
}
