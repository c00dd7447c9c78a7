/**
 * Arguments checked against an MCP tool's input schema with ajv (the validator the MCP SDK
 * itself uses), before a call is reviewed and again before it runs. The draft is the one the
 * schema names in `$schema` (2020-12, 2019-09, or draft-07, the default, which also reads
 * draft-06); a schema ajv cannot compile makes its tool unusable, never a call that runs
 * unchecked.
 */
import { Ajv, type AnySchema, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { CountersignError, describeError } from '../core/errors.js';

export type ArgumentsCheck = { ok: true } | { ok: false; error: string };
export type ArgumentsValidator = (value: unknown) => ArgumentsCheck;

type Draft = 'draft-07' | '2019-09' | '2020-12';
type AjvInstance = Ajv | Ajv2019 | Ajv2020;

// ajv-formats is CommonJS whose default export is also `module.exports`.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: AjvInstance) => AjvInstance;

const OPTIONS: Options = {
  // Servers write schemas by hand: unknown keywords and formats are tolerated, not fatal.
  strict: false,
  allErrors: true,
  validateFormats: true,
  // Two servers may use the same `$id`: each schema stands alone, none is registered by id.
  addUsedSchema: false,
};

const instances = new Map<Draft, AjvInstance>();
function ajvFor(draft: Draft): AjvInstance {
  let ajv = instances.get(draft);
  if (!ajv) {
    ajv = draft === '2020-12' ? new Ajv2020(OPTIONS) : draft === '2019-09' ? new Ajv2019(OPTIONS) : new Ajv(OPTIONS);
    addFormats(ajv);
    instances.set(draft, ajv);
  }
  return ajv;
}

function draftOf(schema: Record<string, unknown>): Draft {
  const declared = typeof schema.$schema === 'string' ? schema.$schema : '';
  if (declared.includes('2020-12')) return '2020-12';
  if (declared.includes('2019-09')) return '2019-09';
  return 'draft-07';
}

/** Compiled validators by schema text: a refreshed tool list with the same schemas compiles nothing again. */
const compiled = new Map<string, ValidateFunction>();
const MAX_CACHED = 2000;

/** `arguments/amount must be > 0; arguments must have required property 'to'`, cut to a readable length. */
function describeErrors(ajv: AjvInstance, errors: ErrorObject[] | null | undefined): string {
  const text = ajv.errorsText(errors ?? [], { dataVar: 'arguments', separator: '; ' });
  return text.length > 600 ? `${text.slice(0, 600)}...` : text;
}

/**
 * A validator for one input schema. Throws `tools.invalid-schema` when ajv cannot compile it
 * (the registry then leaves the tool out, with a log line).
 */
export function compileArgumentsValidator(schema: Record<string, unknown>): ArgumentsValidator {
  const draft = draftOf(schema);
  const ajv = ajvFor(draft);
  const cacheKey = `${draft}\n${JSON.stringify(schema)}`;
  let validate = compiled.get(cacheKey);
  if (!validate) {
    try {
      validate = ajv.compile(schema as AnySchema);
    } catch (error) {
      throw new CountersignError('tools.invalid-schema', `its input schema cannot be compiled: ${describeError(error)}`, { cause: error });
    }
    if (compiled.size >= MAX_CACHED) compiled.delete(compiled.keys().next().value!);
    compiled.set(cacheKey, validate);
  }
  const check = validate;
  return (value: unknown) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, error: 'arguments must be a JSON object' };
    return check(value) ? { ok: true } : { ok: false, error: describeErrors(ajv, check.errors) };
  };
}
