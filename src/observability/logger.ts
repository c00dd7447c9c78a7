import { pino, type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';

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

export interface CreateLoggerOptions {
  level?: string;
  destination?: NodeJS.WritableStream;
  name?: string;
  /**
   * Human-readable lines (`WARN: message`) instead of JSON, for a person at a terminal (the
   * demo); services keep JSON for their log collectors. @defaultValue false
   */
  pretty?: boolean;
}

export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const config: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: options.name ?? 'countersign', pid: process.pid },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (options.pretty) {
    const destination = (options.destination ?? process.stderr) as NodeJS.WritableStream & { isTTY?: boolean };
    const stream = pretty({
      destination,
      colorize: Boolean(destination.isTTY),
      sync: true,
      ignore: 'pid,hostname,service,time',
      // The structured fields repeat what the message says; a person needs the message.
      hideObject: true,
    });
    return pino(config, stream);
  }
  return options.destination ? pino(config, options.destination as pino.DestinationStream) : pino(config);
}
