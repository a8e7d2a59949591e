import { SeededRandom } from '../seeded-random';
import { HAND_WRITTEN_REVIEWS, NEUTRAL_ASIDES, REVIEW_SLOTS, REVIEW_TEMPLATES, SENTIMENT_LABELS, SentimentLabel } from './review-lexicon';

/** One labelled review. */
export interface LabelledText {
  text: string;
  label: SentimentLabel;
}

/** The corpus split: train on `train`, report accuracy on `heldOut` (never trained on). */
export interface ReviewCorpus {
  labels: readonly SentimentLabel[];
  train: LabelledText[];
  heldOut: LabelledText[];
}

/** Options for {@link buildReviewCorpus}. */
export interface ReviewCorpusOptions {
  /** Generated reviews per label before de-duplication (default 400). */
  perLabel?: number;
  /** Share held out for evaluation (default 0.2). */
  heldOutShare?: number;
  seed?: number;
}

/** Fills slots; `product` is fixed per review, other repeated slots in a sentence differ. */
function fillTemplate(template: string, random: SeededRandom, product: string): string {
  const used = new Set<string>();
  const filled = template.replace(/\{(\w+)\}/g, (_, slot: string) => {
    if (slot === 'product') return product;
    const options = REVIEW_SLOTS[slot].filter((word) => !used.has(word) || word === '');
    const word = random.pick(options);
    used.add(word);
    return word;
  });
  return filled.charAt(0).toUpperCase() + filled.slice(1);
}

/** A review of one to three sentences of one label, sometimes with a neutral aside. */
function generateReview(label: SentimentLabel, random: SeededRandom): string {
  const templates = REVIEW_TEMPLATES[label];
  const count = 1 + random.int(3);
  const chosen = new Set<string>();
  while (chosen.size < count) chosen.add(random.pick(templates));
  const product = random.pick(REVIEW_SLOTS.product);
  const sentences = [...chosen].map((t) => fillTemplate(t, random, product));
  if (label !== 'neutral' && random.next() < 0.25) {
    sentences.splice(random.int(sentences.length + 1), 0, fillTemplate(random.pick(NEUTRAL_ASIDES), random, product));
  }
  return sentences.join(' ');
}

/**
 * The project's product-review sentiment corpus (negative / neutral / positive): reviews
 * generated from hand-written templates and word lists plus hand-written reviews, de-duplicated,
 * shuffled with a seed and split into train and held-out. Same options, same corpus.
 */
export function buildReviewCorpus(options: ReviewCorpusOptions = {}): ReviewCorpus {
  const random = new SeededRandom(options.seed ?? 2024);
  const perLabel = options.perLabel ?? 400;
  const seen = new Set<string>();
  const all: LabelledText[] = [];
  const add = (item: LabelledText): void => {
    if (!seen.has(item.text)) (seen.add(item.text), all.push(item));
  };
  HAND_WRITTEN_REVIEWS.forEach(add);
  for (const label of SENTIMENT_LABELS) {
    for (let i = 0; i < perLabel; i++) add({ text: generateReview(label, random), label });
  }
  random.shuffle(all);
  const heldOutCount = Math.round(all.length * (options.heldOutShare ?? 0.2));
  return { labels: SENTIMENT_LABELS, heldOut: all.slice(0, heldOutCount), train: all.slice(heldOutCount) };
}
