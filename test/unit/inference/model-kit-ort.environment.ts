import { TestEnvironment } from 'jest-environment-node';

const SHARED_GLOBALS = [
  'ArrayBuffer', 'Float32Array', 'Float64Array', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray',
  'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array',
] as const;

/**
 * Jest's node environment gives each test file its own realm, so typed arrays created by
 * onnxruntime-node's native addon fail `instanceof Float32Array` checks inside the test realm.
 * Tests that run ORT sessions in-process opt in with
 * `@jest-environment ./test/unit/inference/model-kit-ort.environment.ts`.
 */
export default class OrtTestEnvironment extends TestEnvironment {
  constructor(...args: ConstructorParameters<typeof TestEnvironment>) {
    super(...args);
    const outer = globalThis as unknown as Record<string, unknown>;
    for (const name of SHARED_GLOBALS) (this.global as unknown as Record<string, unknown>)[name] = outer[name];
  }
}
