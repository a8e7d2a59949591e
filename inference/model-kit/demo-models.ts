import { accuracyOf, trainBagOfNgrams } from './bag-of-ngrams-trainer';
import { buildCreditRiskDataset } from './corpus/credit-risk-dataset';
import { buildReviewCorpus } from './corpus/review-corpus';
import { defaultTokenizerSpec, TokenizerSpec } from './hashed-ngram-tokenizer';
import { buildTabularMlp } from './tabular-mlp';
import { tabularAccuracy, trainTabularMlp } from './tabular-mlp-trainer';
import { buildTextClassifier, buildTextEmbedder } from './text-models';

/** Preprocessing for tabular models: the named columns of the `features` input, in order. */
export interface TabularFeatureSpec {
  kind: 'tabular-features';
  featureNames: string[];
}

/** A model input or output as the catalogue describes it (string dims are dynamic). */
export interface ModelTensorSpec {
  name: string;
  type: 'float32' | 'int64';
  dims: Array<number | string>;
}

/** A demo model: ONNX bytes plus what the API needs to publish it as a model version. */
export interface DemoModel {
  key: 'review-sentiment' | 'review-embedder' | 'credit-risk';
  name: string;
  description: string;
  task: 'text-classification' | 'text-embedding' | 'tabular-classification';
  onnx: Uint8Array;
  inputs: ModelTensorSpec[];
  outputs: ModelTensorSpec[];
  /** JSON-serialisable; stored with the model version. */
  preprocessing: TokenizerSpec | TabularFeatureSpec;
  /** Output class names, in output order (classifiers only). */
  labels?: string[];
  /** Evaluation figures measured while building (held-out accuracy etc.). */
  metrics: Record<string, number>;
}

const SENTIMENT_DIM = 16;

function textInputs(spec: TokenizerSpec): ModelTensorSpec[] {
  return [
    { name: 'token_ids', type: 'int64', dims: ['batch', spec.sequenceLength] },
    { name: 'token_weights', type: 'float32', dims: ['batch', spec.sequenceLength] },
  ];
}

/** The sentiment classifier and the embedder sharing its trained body. */
function buildReviewModels(): DemoModel[] {
  const corpus = buildReviewCorpus();
  const labels = [...corpus.labels];
  const spec = defaultTokenizerSpec();
  const indexOf = (items: typeof corpus.train): number[] => items.map((x) => labels.indexOf(x.label));
  const trainTexts = corpus.train.map((x) => x.text);
  const model = trainBagOfNgrams(trainTexts, indexOf(corpus.train), { spec, embeddingDim: SENTIMENT_DIM, labelCount: labels.length, epochs: 10, learningRate: 0.5 });
  const metrics = {
    trainExamples: corpus.train.length,
    heldOutExamples: corpus.heldOut.length,
    trainAccuracy: accuracyOf(model, trainTexts, indexOf(corpus.train)),
    heldOutAccuracy: accuracyOf(model, corpus.heldOut.map((x) => x.text), indexOf(corpus.heldOut)),
  };
  const sentiment: DemoModel = {
    key: 'review-sentiment',
    name: 'Review sentiment',
    description: 'Classifies product reviews as negative, neutral or positive (hashed word n-grams, mean-pooled embeddings, softmax).',
    task: 'text-classification',
    onnx: buildTextClassifier({ spec, embeddingDim: SENTIMENT_DIM, labels, weights: { embedding: model.body.embedding, head: model.head } }),
    inputs: textInputs(spec),
    outputs: [
      { name: 'logits', type: 'float32', dims: ['batch', labels.length] },
      { name: 'probabilities', type: 'float32', dims: ['batch', labels.length] },
    ],
    preprocessing: spec,
    labels,
    metrics,
  };
  const embedder: DemoModel = {
    key: 'review-embedder',
    name: 'Review embedder',
    description: 'Embeds short texts as L2-normalised vectors (the sentiment model\'s trained body).',
    task: 'text-embedding',
    onnx: buildTextEmbedder(model.body),
    inputs: textInputs(spec),
    outputs: [{ name: 'embedding', type: 'float32', dims: ['batch', SENTIMENT_DIM] }],
    preprocessing: spec,
    metrics: { dimensions: SENTIMENT_DIM },
  };
  return [sentiment, embedder];
}

/** The credit-risk MLP, trained on the synthetic applicants, standardisation in the graph. */
function buildCreditRiskModel(): DemoModel {
  const train = buildCreditRiskDataset(600, 11);
  const heldOut = buildCreditRiskDataset(300, 12);
  const model = trainTabularMlp(train, { hiddenSizes: [16], epochs: 150 });
  const labels = [...train.labels];
  const featureNames = [...train.featureNames];
  return {
    key: 'credit-risk',
    name: 'Credit risk',
    description: `Scores a loan applicant as low, medium or high risk from ${featureNames.join(', ')}.`,
    task: 'tabular-classification',
    onnx: buildTabularMlp({
      inputSize: featureNames.length, hiddenSizes: [16], outputSize: labels.length,
      layers: model.layers, normalization: model.normalization, withProbabilities: true,
    }),
    inputs: [{ name: 'features', type: 'float32', dims: ['batch', featureNames.length] }],
    outputs: [
      { name: 'scores', type: 'float32', dims: ['batch', labels.length] },
      { name: 'probabilities', type: 'float32', dims: ['batch', labels.length] },
    ],
    preprocessing: { kind: 'tabular-features', featureNames },
    labels,
    metrics: { trainAccuracy: tabularAccuracy(model, train), heldOutAccuracy: tabularAccuracy(model, heldOut) },
  };
}

let cached: DemoModel[] | undefined;

/**
 * The demo models the API seeds as published model versions: review sentiment classifier,
 * review embedder, credit-risk MLP. Trained deterministically on the project's own data on
 * first call (well under a second) and cached; treat the returned bytes as read-only.
 */
export function buildDemoModels(): DemoModel[] {
  cached ??= [...buildReviewModels(), buildCreditRiskModel()];
  return cached;
}
