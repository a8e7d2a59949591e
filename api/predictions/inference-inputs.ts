import { EngineTensor, TensorType, tokenize } from '../../inference';
import { ModelTask } from '../../schema/catalogue/catalogue.enums';
import { TensorSpec } from '../../schema/catalogue/model-signature.type';
import { badUserInput } from '../common/errors';
import type { ServingVersion } from './serving-model.cache';

/** Engine inputs of a call, and the INPUT_TOKENS it meters (0 for tensors). */
export interface PreparedInputs {
  tensors: Record<string, EngineTensor>;
  rows: number;
  inputTokens: number;
}

/** Most tensor elements accepted in one call. */
const MAX_ELEMENTS = 1_000_000;

type NumericCtor = new (values: ArrayLike<number>) => Exclude<EngineTensor['data'], string[] | BigInt64Array>;
const NUMERIC: Partial<Record<TensorType, NumericCtor>> = {
  float32: Float32Array, float64: Float64Array, int32: Int32Array, int8: Int8Array, uint8: Uint8Array, bool: Uint8Array,
};

/**
 * Turns a call's `texts` (TEXT_* models: tokenized with the version's spec) or `inputs`
 * (TENSOR models: JSON tensors checked against the signature) into engine tensors.
 * Throws BAD_USER_INPUT naming the field at fault.
 */
export function prepareInputs(serving: ServingVersion, texts: string[] | null | undefined, inputs: unknown, maxTexts: number): PreparedInputs {
  const { model } = serving;
  if (model.task === ModelTask.TENSOR) {
    if (texts != null) throw badUserInput(`Model ${model.slug} is a TENSOR model: send "inputs" (tensors), not "texts"`, { field: 'input.texts' });
    return decodeTensors(serving, inputs);
  }
  if (inputs != null) throw badUserInput(`Model ${model.slug} is a ${model.task} model: send "texts", not "inputs"`, { field: 'input.inputs' });
  checkTexts(model.slug, texts, maxTexts);
  const batch = tokenize(texts!, serving.tokenizer!);
  return { tensors: batch.inputs, rows: texts!.length, inputTokens: batch.tokenCounts.reduce((a, b) => a + b, 0) };
}

function checkTexts(slug: string, texts: string[] | null | undefined, maxTexts: number): void {
  if (texts == null) throw badUserInput(`Model ${slug} needs "texts"`, { field: 'input.texts' });
  if (texts.length === 0) throw badUserInput('texts must hold at least one text', { field: 'input.texts' });
  if (texts.length > maxTexts) throw badUserInput(`texts holds ${texts.length} texts; at most ${maxTexts} are accepted per call`, { field: 'input.texts', max: maxTexts });
  const blank = texts.findIndex((t) => t.trim() === '');
  if (blank >= 0) throw badUserInput(`texts[${blank}] is empty`, { field: `input.texts.${blank}` });
}

function decodeTensors(serving: ServingVersion, inputs: unknown): PreparedInputs {
  const { model, version } = serving;
  if (!inputs || typeof inputs !== 'object' || Array.isArray(inputs)) {
    throw badUserInput(`Model ${model.slug} needs "inputs": an object of tensors by input name`, { field: 'input.inputs' });
  }
  const given = inputs as Record<string, unknown>;
  const specs = version.signature.inputs;
  const unknown = Object.keys(given).find((name) => !specs.some((s) => s.name === name));
  if (unknown) throw badUserInput(`"${unknown}" is not an input of ${model.slug} (inputs: ${specs.map((s) => s.name).join(', ')})`, { field: `input.inputs.${unknown}` });
  const tensors: Record<string, EngineTensor> = {};
  let elements = 0;
  for (const spec of specs) {
    if (!(spec.name in given)) throw badUserInput(`input "${spec.name}" of ${model.slug} is missing`, { field: `input.inputs.${spec.name}` });
    tensors[spec.name] = decodeTensor(model.slug, spec, given[spec.name]);
    elements += tensors[spec.name].data.length;
    if (elements > MAX_ELEMENTS) throw badUserInput(`inputs hold more than ${MAX_ELEMENTS} elements`, { field: 'input.inputs' });
  }
  const rows = tensors[specs[0]?.name]?.dims[0] ?? 1;
  return { tensors, rows, inputTokens: 0 };
}

function decodeTensor(slug: string, spec: TensorSpec, value: unknown): EngineTensor {
  const fail = (why: string) => badUserInput(`input "${spec.name}" of ${slug}: ${why}`, { field: `input.inputs.${spec.name}` });
  const v = value as { type?: unknown; dims?: unknown; data?: unknown } | null;
  if (!v || typeof v !== 'object') throw fail('must be an object { type, dims, data }');
  if (v.type !== spec.type) throw fail(`type must be ${spec.type}, got ${JSON.stringify(v.type)}`);
  const dims = v.dims;
  if (!Array.isArray(dims) || !dims.every((d) => Number.isInteger(d) && d >= 0)) throw fail(`dims must be an array of non-negative integers, got ${JSON.stringify(dims)}`);
  if (spec.shape.length > 0 && dims.length !== spec.shape.length) throw fail(`dims [${dims.join(', ')}] have rank ${dims.length}; the model expects [${spec.dimensions.join(', ')}]`);
  spec.shape.forEach((fixed, axis) => {
    if (fixed !== null && dims[axis] !== fixed) throw fail(`dimension ${axis} must be ${fixed}, got ${dims[axis]} (shape [${spec.dimensions.join(', ')}])`);
  });
  const count = (dims as number[]).reduce((n, d) => n * d, 1);
  if (!Array.isArray(v.data) || v.data.length !== count) {
    throw fail(`data must be an array of ${count} values for dims [${dims.join(', ')}], got ${Array.isArray(v.data) ? v.data.length : typeof v.data}`);
  }
  return { type: spec.type as TensorType, dims: dims as number[], data: decodeData(spec.type as TensorType, v.data, fail) };
}

function decodeData(type: TensorType, data: unknown[], fail: (why: string) => Error): EngineTensor['data'] {
  if (type === 'string') {
    if (!data.every((x) => typeof x === 'string')) throw fail('string tensors take strings');
    return data as string[];
  }
  if (type === 'int64') {
    const bad = data.findIndex((x) => !(Number.isSafeInteger(x) || (typeof x === 'string' && /^-?\d{1,19}$/.test(x))));
    if (bad >= 0) throw fail(`data[${bad}] is not an integer`);
    return BigInt64Array.from(data as Array<number | string>, (x) => BigInt(x));
  }
  const values = type === 'bool' ? data.map((x) => (x === true || x === 1 ? 1 : x === false || x === 0 ? 0 : NaN)) : (data as number[]);
  const integer = type !== 'float32' && type !== 'float64';
  const bad = values.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x) || (integer && !Number.isInteger(x)));
  if (bad >= 0) throw fail(`data[${bad}] is not a finite ${integer ? 'integer' : 'number'}`);
  return new NUMERIC[type]!(values);
}
