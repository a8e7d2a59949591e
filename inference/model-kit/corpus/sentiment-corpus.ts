import { SeededRandom } from '../seeded-random';
import { LabelledText } from './review-corpus';
import { SENTIMENT_LABELS, SentimentLabel } from './review-lexicon';
import {
  FACT_SLOTS, INTENSIFIERS, NEGATIVE_ADJECTIVES, NEGATIVE_CLOSERS, NEGATIVE_DOES, NEGATIVE_SERVICE, NEUTRAL_ADJECTIVES,
  NEUTRAL_CLOSERS, NEUTRAL_FACTS, POSITIVE_ADJECTIVES, POSITIVE_CLOSERS, POSITIVE_DOES, POSITIVE_SERVICE, ReviewDomain,
  TRAINING_DOMAINS,
} from './sentiment-phrases';
import { UNSEEN_DOMAIN_WORDS } from './unseen-domain-reviews';

/** A word score lexicon such as AFINN-165: word -> integer valence (-5..5). */
export type ValenceLexicon = Readonly<Record<string, number>>;

/** Options for {@link buildSentimentCorpus}. */
export interface SentimentCorpusOptions {
  /** Templated reviews per label (default 3000). */
  perLabel?: number;
  /** Reviews whose label hangs on a "but" clause (default 1200). */
  contrasts?: number;
  /** Word valences turned into short labelled phrases, plain and negated (e.g. AFINN-165). */
  lexicon?: ValenceLexicon;
  /** Share held out for the in-domain evaluation (default 0.1). */
  heldOutShare?: number;
  seed?: number;
}

/** The broad corpus: train on `train`; `heldOut` is in-domain (same banks), never trained on. */
export interface SentimentCorpus {
  labels: readonly SentimentLabel[];
  train: LabelledText[];
  heldOut: LabelledText[];
}

const POSITIVE_VERBS = ['love', 'adore', 'really like', 'am thrilled with', 'am very happy with', 'enjoy', 'am delighted with', 'am impressed by'];
const NEGATIVE_VERBS = ['hate', 'regret buying', 'am disappointed with', 'can not stand', 'am fed up with', 'am unhappy with', 'gave up on'];
const STAFF_FAILS = ['help', 'call back', 'reply', 'care', 'listen', 'apologise', 'turn up', 'fix anything', 'explain anything'];
const SETUPS_FOR_BAD = ['I wanted to love it', 'I had high hopes', 'it looked great at first', 'I really wanted to like it', 'the reviews were great', 'it started well', 'I was excited at first'];
const SETUPS_FOR_GOOD = ['I was skeptical', 'I did not expect much', 'it is not perfect', 'it took a while to arrive', 'I was worried at first', 'it is a bit pricey', 'the first day was rough'];

const sentence = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/** Builds clauses of one domain from the phrase banks. */
class ClauseMaker {
  constructor(private readonly random: SeededRandom, private readonly domain: ReviewDomain) {}

  private pick<T>(items: readonly T[]): T {
    return this.random.pick(items);
  }

  private subject(): string {
    const item = this.pick(this.domain.items);
    return this.pick([`the ${item}`, `this ${item}`, 'it', `my new ${item}`, `our ${item}`]);
  }

  private aspect(): string {
    return `the ${this.pick(this.domain.aspects)}`;
  }

  private fill(template: string): string {
    return template.replace(/\{(\w+)\}/g, (_, slot: string) => {
      if (slot === 'item') return this.pick(this.domain.items);
      if (slot === 'item2') return this.pick(this.domain.items);
      if (slot === 'aspect') return this.pick(this.domain.aspects);
      if (slot === 'staff' || slot === 'Staff') return this.pick(this.domain.staff);
      return this.pick(FACT_SLOTS[slot]);
    });
  }

  positive(): string {
    const adj = (): string => this.pick(INTENSIFIERS) + this.pick(POSITIVE_ADJECTIVES);
    const item = this.pick(this.domain.items);
    switch (this.random.int(12)) {
      case 0: return `${this.subject()} is ${adj()}`;
      case 1: return `${this.aspect()} is ${adj()}`;
      case 2: return `${this.aspect()} is ${adj()} and ${this.aspect()} is ${adj()}`;
      case 3: return `${this.pick(this.domain.staff)} ${this.pick(POSITIVE_SERVICE)}`;
      case 4: return `${this.subject()} ${this.pick(POSITIVE_DOES).replace('{duration}', this.pick(FACT_SLOTS.duration))}`;
      case 5: return `I ${this.pick(POSITIVE_VERBS)} ${this.pick([`this ${item}`, 'it', `the ${item}`])}`;
      case 6: return `best ${item} I have ever ${this.pick(['had', 'tried', 'used', 'owned', 'seen'])}`;
      case 7: return this.pick(POSITIVE_CLOSERS);
      case 8: return `${adj()} ${item}, ${this.pick(POSITIVE_CLOSERS)}`;
      case 9: return this.pick([
        `${this.aspect()} is not ${this.pick(NEGATIVE_ADJECTIVES)} at all`, `not ${this.pick(['bad', 'bad at all', 'disappointed', 'a single problem'])}`,
        `never had a problem with ${this.subject()}`, `I have no complaints about ${this.subject()}`, `could not be happier with ${this.subject()}`,
        `${this.subject()} never ${this.pick(['fails', 'lets me down', 'disappoints', 'breaks', 'gives me trouble'])}`,
        `no ${this.pick(['problems', 'issues', 'complaints', 'regrets'])} at all`, `I can not recommend ${this.subject()} enough`,
        `nothing to complain about`, `${this.subject()} is not ${this.pick(NEGATIVE_ADJECTIVES)}`,
      ]);
      case 10: return `${this.pick(['we', 'I'])} will ${this.pick(['definitely', 'certainly', 'happily'])} ${this.pick(['come back', 'be back', 'buy another', 'use them again', 'recommend it to friends'])}`;
      default: return `${this.pick(['so', 'very', 'really'])} ${this.pick(['happy', 'pleased', 'glad', 'satisfied', 'impressed'])} with ${this.subject()}`;
    }
  }

  negative(): string {
    const adj = (): string => this.pick(INTENSIFIERS) + this.pick(NEGATIVE_ADJECTIVES);
    const item = this.pick(this.domain.items);
    const does = (): string => this.pick(NEGATIVE_DOES).replace('{duration}', this.pick(FACT_SLOTS.duration));
    switch (this.random.int(12)) {
      case 0: return `${this.subject()} is ${adj()}`;
      case 1: return `${this.aspect()} is ${adj()}`;
      case 2: return `${this.aspect()} is ${adj()} and ${this.aspect()} is ${adj()}`;
      case 3: return `${this.pick(this.domain.staff)} ${this.pick(NEGATIVE_SERVICE)}`;
      case 4: return `${this.subject()} ${does()}`;
      case 5: return `I ${this.pick(NEGATIVE_VERBS)} ${this.pick([`this ${item}`, 'it', `the ${item}`])}`;
      case 6: return `worst ${item} I have ever ${this.pick(['had', 'tried', 'used', 'owned', 'seen'])}`;
      case 7: return this.pick(NEGATIVE_CLOSERS);
      case 8: return `${adj()} ${item}, ${this.pick(NEGATIVE_CLOSERS)}`;
      case 9: return this.pick([
        `${this.subject()} is not ${this.pick(INTENSIFIERS)}${this.pick(POSITIVE_ADJECTIVES)}`, `${this.aspect()} is not ${this.pick(POSITIVE_ADJECTIVES)} at all`,
        `not ${this.pick(['good', 'worth it', 'worth the money', 'great', 'happy', 'impressed', 'recommended'])} at all`,
        `${this.subject()} does not work`, `it is not worth the money`, `I would not recommend ${this.subject()}`,
        `${this.pick(this.domain.staff)} did not ${this.pick(STAFF_FAILS)}`, `I could not ${this.pick(['use it', 'get it to work', 'finish it', 'get a refund', 'sleep'])}`,
        `${this.subject()} never ${this.pick(['worked', 'arrived', 'worked properly', 'did what it promised'])}`, `nobody ${this.pick(['helped us', 'answered', 'called back', 'cared'])}`,
      ]);
      case 10: return `way too ${this.pick(['expensive', 'noisy', 'slow', 'loud', 'small', 'salty', 'complicated', 'crowded', 'fragile'])}`;
      default: return `${this.pick(['so', 'very', 'really'])} ${this.pick(['disappointed', 'unhappy', 'annoyed', 'frustrated', 'upset'])} with ${this.subject()}`;
    }
  }

  neutral(): string {
    const adj = (): string => this.pick(NEUTRAL_ADJECTIVES);
    switch (this.random.int(10)) {
      case 0: case 1: case 2: case 8: case 9: return this.fill(this.pick(NEUTRAL_FACTS)).replace(/\.$/, '');
      case 3: return `${this.subject()} is ${adj()}`;
      case 4: return `${this.aspect()} is ${adj()}, ${this.pick(NEUTRAL_CLOSERS)}`;
      case 5: return this.pick(NEUTRAL_CLOSERS);
      case 6: return this.pick([
        'not great, not terrible', `neither ${this.pick(POSITIVE_ADJECTIVES)} nor ${this.pick(NEGATIVE_ADJECTIVES)}`, 'neither impressed nor disappointed',
        `${adj()} but nothing memorable`, 'it is not the best but not the worst either', 'nothing to complain about and nothing to rave about',
        `${this.aspect()} could be better but it works`, 'it has its good and bad points',
      ]);
      default: return `${this.aspect()} is ${adj()} and ${this.aspect()} is ${adj()}`;
    }
  }

  fact(): string {
    return this.fill(this.pick(NEUTRAL_FACTS));
  }

  /** A review whose label is the clause after "but". */
  contrast(): LabelledText {
    if (this.random.next() < 0.5) {
      const setup = this.random.next() < 0.5 ? this.pick(SETUPS_FOR_BAD) : this.positive();
      return { text: `${sentence(setup)}, but ${this.negative()}.`, label: 'negative' };
    }
    const setup = this.random.next() < 0.5 ? this.pick(SETUPS_FOR_GOOD) : this.negative();
    return { text: `${sentence(setup)}, but ${this.positive()}.`, label: 'positive' };
  }
}

function review(random: SeededRandom, label: SentimentLabel): string {
  const maker = new ClauseMaker(random, random.pick(TRAINING_DOMAINS));
  const clause = (): string => (label === 'positive' ? maker.positive() : label === 'negative' ? maker.negative() : maker.neutral());
  const clauses = [clause()];
  if (random.next() < 0.4) clauses.push(clause());
  const joined = clauses.length === 1 ? sentence(clauses[0]) + '.' : random.next() < 0.5
    ? `${sentence(clauses[0])} and ${clauses[1]}.`
    : `${sentence(clauses[0])}. ${sentence(clauses[1])}.`;
  if (label !== 'neutral' && random.next() < 0.25) return random.next() < 0.5 ? `${maker.fact()} ${joined}` : `${joined} ${maker.fact()}`;
  return joined;
}

/**
 * Short phrases from a valence lexicon: a word, or a negated one with the opposite label. The
 * larger side is thinned to the smaller (AFINN lists about twice as many negative words), so the
 * lexicon teaches words, not a prior.
 */
function lexiconPhrases(lexicon: ValenceLexicon, random: SeededRandom): LabelledText[] {
  const words = Object.entries(lexicon).filter(([word, score]) => Math.abs(score) >= 2 && !word.includes(' '));
  const positive = words.filter(([, score]) => score > 0);
  const negative = random.shuffle(words.filter(([, score]) => score < 0)).slice(0, positive.length);
  const phrases: LabelledText[] = [];
  for (const [word, score] of [...positive, ...negative]) {
    const label: SentimentLabel = score > 0 ? 'positive' : 'negative';
    phrases.push({ text: random.pick([`${word}.`, `It was ${word}.`, `So ${word}!`, `Really ${word}.`, `Just ${word}.`]), label });
    if (random.next() < 0.5) {
      phrases.push({ text: random.pick([`Not ${word}.`, `It was not ${word}.`, `Not ${word} at all.`, `Never ${word}.`]), label: score > 0 ? 'negative' : 'positive' });
    }
  }
  return phrases;
}

const UNSEEN = new Set(UNSEEN_DOMAIN_WORDS);

/** Whether a text names one of the unseen benchmark domains (such texts are left out). */
export function namesUnseenDomain(text: string): boolean {
  return (text.toLowerCase().match(/[a-z-]+/g) ?? []).some((word) => UNSEEN.has(word));
}

/**
 * The broad sentiment corpus: reviews from 20 domains (electronics to dentists, books to
 * plumbers) generated from the project's phrase banks, with negation ("not bad at all",
 * "is not great") and contrast ("I wanted to love it, but ..."), plus short phrases from a
 * valence lexicon when one is given (the demo passes AFINN-165). De-duplicated, shuffled with a
 * seed and split; never names a domain of the unseen-domain benchmark. Same options, same corpus.
 */
export function buildSentimentCorpus(options: SentimentCorpusOptions = {}): SentimentCorpus {
  const random = new SeededRandom(options.seed ?? 515);
  const seen = new Set<string>();
  const all: LabelledText[] = [];
  const add = (item: LabelledText): void => {
    if (!seen.has(item.text) && !namesUnseenDomain(item.text)) (seen.add(item.text), all.push(item));
  };
  const perLabel = options.perLabel ?? 3000;
  for (let i = 0; i < perLabel; i++) for (const label of SENTIMENT_LABELS) add({ text: review(random, label), label });
  for (let i = 0; i < (options.contrasts ?? 1200); i++) add(new ClauseMaker(random, random.pick(TRAINING_DOMAINS)).contrast());
  random.shuffle(all);
  const heldOutCount = Math.round(all.length * (options.heldOutShare ?? 0.1));
  const heldOut = all.slice(0, heldOutCount);
  const train = all.slice(heldOutCount);
  // The lexicon's phrases and the neutral top-up go to training only.
  const addToTrain = (item: LabelledText): void => {
    if (!seen.has(item.text) && !namesUnseenDomain(item.text)) (seen.add(item.text), train.push(item));
  };
  if (options.lexicon) lexiconPhrases(options.lexicon, random).forEach(addToTrain);
  // As many neutral texts as the larger opinionated side, so the classes start level.
  const counts = Object.fromEntries(SENTIMENT_LABELS.map((label) => [label, train.filter((x) => x.label === label).length]));
  const target = Math.max(counts.positive, counts.negative);
  for (let tries = 0; train.length - counts.positive - counts.negative < target && tries < target * 4; tries++) {
    addToTrain({ text: review(random, 'neutral'), label: 'neutral' });
  }
  random.shuffle(train);
  return { labels: SENTIMENT_LABELS, train, heldOut };
}
