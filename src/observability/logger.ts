import { pino, type Logger, type LoggerOptions } from 'pino';

/**
 * Paths that could carry a secret anywhere in a log line. pino replaces them before the line
 * is written, so a careless `log.info({ config })` cannot leak a key.
 */
export const REDACTED_PATHS = [
  'apiKey', '*.apiKey', '*.*.apiKey',
  'token', '*.token', '*.*.token',
  'botToken', '*.botToken', 'appToken', '*.appToken', 'signingSecret', '*.signingSecret',
  'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization', 'req.headers.cookie',
  'password', '*.password',
];

export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream; name?: string } = {}): Logger {
  const config: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: options.name ?? 'countersign', pid: process.pid },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return options.destination ? pino(config, options.destination as pino.DestinationStream) : pino(config);
}
