import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { CountersignError } from '../core/errors.js';
import { validateChecks, validateRules } from '../core/rule-schema.js';
import { ENVIRONMENT, LIST_PATHS } from './environment.js';
import { describeIssue, yamlErrorOffset } from './describe-issues.js';
import { resolveReviewIdentity } from './review-identity-schema.js';
import { type Config, configSchema, type ModelRole, missingModelKeys, resolveModels } from './schema.js';

export interface LoadConfigOptions {
  /** The YAML file; `countersign.yaml` in the working directory when it exists. */
  file?: string;
  /** The environment to read; `process.env` by default. */
  env?: Record<string, string | undefined>;
  /** True when `file` was named explicitly: then a missing file is an error. */
  required?: boolean;
  /**
   * The model roles the command will call, whose keys must be there. @defaultValue ['actor', 'critic']
   * (the service); `eval` needs the critic only, the review and rules commands none.
   */
  models?: readonly ModelRole[];
}

/** Thrown with every problem found, each `source: path.to.field: what is wrong`. */
export class ConfigError extends CountersignError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('config.invalid', `invalid configuration:\n${problems.join('\n')}`);
    this.problems = problems;
  }
}

type Tree = Record<string, unknown>;

/** Replace `${VAR}` (and `${VAR:-default}`) in every string of the tree; `$${` escapes. */
function interpolate(value: unknown, env: Record<string, string | undefined>, at: string, problems: string[], file: string): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$?\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (match, name: string, fallback: string | undefined) => {
      if (match.startsWith('$$')) return match.slice(1);
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      problems.push(`${file}: ${at || '(root)'}: \${${name}} is not set in the environment`);
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => interpolate(item, env, `${at}.${index}`, problems, file));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolate(item, env, at ? `${at}.${key}` : key, problems, file)]),
    );
  }
  return value;
}

function setPath(tree: Tree, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node = tree;
  for (const key of keys.slice(0, -1)) {
    if (!node[key] || typeof node[key] !== 'object' || Array.isArray(node[key])) node[key] = {};
    node = node[key] as Tree;
  }
  node[keys.at(-1)!] = value;
}

function formatIssues(issues: z.core.$ZodIssue[], tree: unknown, sourceOf: (path: ReadonlyArray<PropertyKey>) => string | null): string[] {
  return issues.map((issue) => {
    const { path, message } = describeIssue(issue, tree, configSchema);
    const source = sourceOf(issue.path);
    return `${source ? `${source}: ` : ''}${path || '(root)'}: ${message}`;
  });
}

/**
 * Read countersign.yaml (if any), interpolate `${VAR}`, lay the environment variables over it
 * (environment wins), validate, and resolve defaults. Throws ConfigError listing every problem.
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const file = options.file ?? 'countersign.yaml';
  const display = file;
  const problems: string[] = [];
  let tree: Tree = {};
  let text: string | null = null;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' || options.required) problems.push(`${display}: (file): cannot read it (${code ?? String(error)})`);
  }
  if (text !== null) {
    const lineCounter = new LineCounter();
    const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
    for (const error of document.errors) {
      const offset = error.pos?.[0] === undefined ? undefined : yamlErrorOffset(text, error.code, error.message, error.pos[0]);
      const at = offset === undefined ? undefined : lineCounter.linePos(offset);
      // The parser's message repeats its own (sometimes wrong) position: keep the sentence only.
      const sentence = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      problems.push(`${display}: ${at ? `line ${at.line} column ${at.col}` : '(yaml)'}: ${sentence}${offset !== error.pos?.[0] ? ' (it starts here and is never closed)' : ''}`);
    }
    if (!document.errors.length) {
      const contents = document.contents;
      if (contents !== null && !isMap(contents)) {
        problems.push(`${display}: (root): must be a mapping of settings, found ${isSeq(contents) ? 'a list' : 'a scalar'}`);
      } else {
        tree = (document.toJS() as Tree | null) ?? {};
        tree = interpolate(tree, env, '', problems, display) as Tree;
      }
    }
  }
  const fromEnvironment = new Map<string, string>();
  for (const [name, dotted] of Object.entries(ENVIRONMENT)) {
    const value = env[name];
    if (value === undefined || (value === '' && name !== 'HOLDING_MESSAGE')) continue;
    const parsed = LIST_PATHS.has(dotted) ? value.split(',').map((item) => item.trim()).filter(Boolean) : value;
    setPath(tree, dotted, parsed);
    fromEnvironment.set(dotted, name);
  }
  // A file that is not valid YAML says nothing reliable about its fields: report the syntax first.
  if (problems.length) throw new ConfigError(problems);
  const result = configSchema.safeParse(tree);
  const sourceOf = (path: ReadonlyArray<PropertyKey>) => {
    const dotted = path.map(String).join('.');
    // An issue inside a list value (`adapters.1`) belongs to the variable that set the list.
    let variable = fromEnvironment.get(dotted);
    for (const [prefix, name] of fromEnvironment) if (!variable && dotted.startsWith(`${prefix}.`)) variable = name;
    // With no file, a problem is one of the settings themselves: no file name to blame.
    return variable ? `environment ${variable}` : text === null ? null : display;
  };
  if (!result.success) problems.push(...formatIssues(result.error.issues, tree, sourceOf));
  else {
    for (const missing of missingModelKeys(result.data, options.models ?? ['actor', 'critic'])) {
      const source = sourceOf(missing.path.split('.'));
      problems.push(`${source ? `${source}: ` : ''}${missing.path}: ${missing.message}`);
    }
  }
  // Rules and checks have their own validator, which names the rule as well as the field.
  const rules = validateRules(tree.rules, display);
  const checks = validateChecks(tree.checks, display);
  problems.push(...rules.problems, ...checks.problems);
  // Named reviewers from the file join those of the configuration, checked together.
  const identity = result.success ? resolveReviewIdentity(result.data, display) : { reviewers: [], problems: [] };
  problems.push(...identity.problems);
  if (problems.length || !rules.ok || !checks.ok) throw new ConfigError(problems);
  const { rules: _rules, checks: _checks, ...parsed } = result.data!;
  return {
    ...parsed,
    review: { ...parsed.review, reviewers: identity.reviewers },
    source: text === null ? '(defaults and environment)' : display,
    models: resolveModels(result.data!),
    escalation: { rules: rules.value, checks: checks.value },
  };
}
