/**
 * What the configuration tests share: configuration files written to a temporary directory,
 * the one setting every load needs, and the problems a ConfigError lists.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/config/load-config.js';

/** A path with no file behind it: loadConfig reads the defaults and the environment only. */
export const NO_CONFIG_FILE = '/nonexistent-countersign.yaml';

/** A model endpoint nothing listens on: enough for a configuration to load (no test calls it). */
export const LOCAL_ENV = { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' };

let directory: string | undefined;
let files = 0;

/** A path in this test file's temporary directory, with nothing written to it. */
export function configPath(name: string): string {
  directory ??= mkdtempSync(path.join(tmpdir(), 'countersign-config-'));
  return path.join(directory, name);
}

/** Write `text` to a new file (a fresh name each call) and return its path. */
export function writeConfigFile(text: string, extension = 'yaml'): string {
  const file = configPath(`config-${++files}.${extension}`);
  writeFileSync(file, text);
  return file;
}

/** The problems of the ConfigError that `load` throws; fails when it throws none, and rethrows any other error. */
export function configProblems(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
