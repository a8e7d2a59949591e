import type { EngineTensor } from '../engine/engine.types';

/**
 * Runs one ONNX graph (a training step, an eval pass, a feature extractor) on some feeds.
 * The EnginePool implements it in its worker threads; {@link LocalStepRunner} runs in-process.
 */
export interface StepRunner {
  run(graphPathOrId: string, feeds: Record<string, EngineTensor>): Promise<Record<string, EngineTensor>>;
}
