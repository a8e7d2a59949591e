import { performance } from 'node:perf_hooks';
import { InferenceSession } from 'onnxruntime-node';
import type { ModelInspection } from './model-file.inspector';
import { sessionOptions, signatureOf, syntheticInputs, toOrtFeeds } from './ort-session.adapter';

// Child-process entry of inspectModelFile: loads an untrusted ONNX file, reads its
// signature, runs it once on zeros, sends the result over IPC and exits. A file that
// crashes or stalls the loader takes down only this process.

async function inspect(path: string): Promise<ModelInspection> {
  const t0 = performance.now();
  let session: InferenceSession;
  try {
    session = await InferenceSession.create(path, sessionOptions('cpu', 0, 1));
  } catch (error) {
    return { ok: false, reason: `cannot load: ${(error as Error).message}` };
  }
  const loadMs = performance.now() - t0;
  try {
    const signature = signatureOf(session);
    const t1 = performance.now();
    await session.run(toOrtFeeds(syntheticInputs(signature)));
    return { ok: true, signature, loadMs, warmupMs: performance.now() - t1 };
  } catch (error) {
    return { ok: false, reason: `loads but cannot run on synthetic inputs: ${(error as Error).message}` };
  }
}

void inspect(process.argv[2] ?? '').then((result) => {
  process.send!(result, () => process.exit(0));
});
