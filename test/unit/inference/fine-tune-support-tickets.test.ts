/**
 * @jest-environment ./test/unit/inference/model-kit-ort.environment.ts
 */
import { readFileSync } from 'node:fs';
import { loadShippedDataset, LabelledRow, stratifiedSplit } from '../../../api/seed/data/shipped-datasets';
import { generateSupportTicketTone } from '../../../api/seed/data/support-ticket-tone.dataset';
import { buildDemoModels } from '../../../inference/model-kit/demo-models';
import { tokenize } from '../../../inference/model-kit/hashed-ngram-tokenizer';
import { buildFineTunedTextClassifier, buildTextFeatureExtractor, readTextModelBodyOrThrow } from '../../../inference/model-kit/text-models';
import { LocalStepRunner } from '../../../inference/training/local-step-runner';
import { buildSoftmaxHeadEval, buildSoftmaxHeadStep } from '../../../inference/training/softmax-head-graphs';
import { SoftmaxHeadTrainer } from '../../../inference/training/softmax-head-trainer';
import { extractTextFeatures } from '../../../inference/training/text-feature-extraction';

const runner = new LocalStepRunner();
afterAll(() => runner.close());

/** Accuracy of a classifier graph on rows, through onnxruntime; labels in the model's output order. */
async function accuracyOf(graph: string, labels: string[], rows: LabelledRow[], spec: Parameters<typeof tokenize>[1]): Promise<number> {
  const out = await runner.run(graph, tokenize(rows.map((r) => r.text), spec).inputs);
  const p = out.probabilities.data as Float32Array;
  const k = labels.length;
  const correct = rows.filter((row, i) => {
    const scores = Array.from(p.slice(i * k, (i + 1) * k));
    return labels[scores.indexOf(Math.max(...scores))] === row.label;
  }).length;
  return correct / rows.length;
}

describe('shipped dataset support-ticket-tone', () => {
  it('is the generator\'s deterministic output: a few hundred rows, three labels, balanced', () => {
    const dataset = loadShippedDataset('support-ticket-tone');
    expect(dataset.rows).toEqual(generateSupportTicketTone());
    expect(dataset.rows.length).toBeGreaterThanOrEqual(300);
    expect(dataset.labels).toEqual(['negative', 'neutral', 'positive']);
    for (const label of dataset.labels) expect(dataset.rows.filter((r) => r.label === label)).toHaveLength(dataset.rows.length / 3);
    expect(new Set(dataset.rows.map((r) => r.text)).size).toBe(dataset.rows.length);
    expect(readFileSync(dataset.path, 'utf8').split('\n').filter(Boolean)).toHaveLength(dataset.rows.length);
  });

  it('splits seeded and stratified: same seed, same split; every label in both parts', () => {
    const { rows } = loadShippedDataset('support-ticket-tone');
    const split = stratifiedSplit(rows, { validationShare: 0.2, seed: 7 });
    expect(stratifiedSplit(rows, { validationShare: 0.2, seed: 7 })).toEqual(split);
    expect(split.train.length + split.validation.length).toBe(rows.length);
    expect(split.validation).toHaveLength(rows.length * 0.2);
    for (const label of ['negative', 'neutral', 'positive']) expect(split.validation.filter((r) => r.label === label)).toHaveLength(rows.length * 0.2 / 3);
    const trainTexts = new Set(split.train.map((r) => r.text));
    expect(split.validation.some((r) => trainTexts.has(r.text))).toBe(false);
  });

  it('a head fine-tuned on the train split beats the base sentiment model on validation by >= 15 points', async () => {
    // Base: the demo sentiment classifier as served. Tuned: its body (frozen) + a new head fitted by
    // the ONNX training-step graphs on the train split. Both scored through onnxruntime.
    const base = buildDemoModels().find((m) => m.key === 'review-sentiment')!;
    const body = readTextModelBodyOrThrow(base.onnx);
    const labels = base.labels!;
    const { train, validation } = stratifiedSplit(loadShippedDataset('support-ticket-tone').rows, { validationShare: 0.2, seed: 7 });
    const shape = { dim: body.embeddingDim, classes: labels.length };
    const optimizer = { kind: 'adam' as const };
    runner
      .register('base', base.onnx)
      .register('extractor', buildTextFeatureExtractor(body))
      .register('step', buildSoftmaxHeadStep(shape, optimizer))
      .register('eval', buildSoftmaxHeadEval(shape));
    const featuresOf = async (rows: LabelledRow[]) => ({
      ...(await extractTextFeatures(runner, 'extractor', rows.map((r) => r.text), body.spec)),
      labels: rows.map((r) => labels.indexOf(r.label)),
    });
    const trainer = new SoftmaxHeadTrainer(runner, { step: 'step', evaluate: 'eval' }, shape, optimizer);
    const { head, history } = await trainer.train(await featuresOf(train), { epochs: 40, batchSize: 16, learningRate: 0.05, seed: 1, validation: await featuresOf(validation) });
    runner.register('tuned', buildFineTunedTextClassifier(base.onnx, head, labels));

    const baseAccuracy = await accuracyOf('base', labels, validation, body.spec);
    const tunedAccuracy = await accuracyOf('tuned', labels, validation, body.spec);
    console.log(`support-ticket-tone validation (${validation.length} rows): base ${baseAccuracy.toFixed(3)}, tuned ${tunedAccuracy.toFixed(3)}, gain ${((tunedAccuracy - baseAccuracy) * 100).toFixed(1)} points`);
    expect(baseAccuracy).toBeLessThan(0.6);
    expect(tunedAccuracy).toBeCloseTo(history[history.length - 1].validationAccuracy!, 5);
    expect(tunedAccuracy - baseAccuracy).toBeGreaterThanOrEqual(0.15);
  }, 240_000);
});
