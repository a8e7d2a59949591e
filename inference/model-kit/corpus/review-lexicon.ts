/**
 * Word lists and sentence templates for the product-review sentiment corpus. Written by
 * hand for this project; `{slot}` placeholders are filled from {@link REVIEW_SLOTS}.
 */

/** Labels of the sentiment corpus, in model output order. */
export const SENTIMENT_LABELS = ['negative', 'neutral', 'positive'] as const;

/** One sentiment label. */
export type SentimentLabel = (typeof SENTIMENT_LABELS)[number];

/** Slot fillers shared by all templates. */
export const REVIEW_SLOTS: Record<string, readonly string[]> = {
  product: [
    'pair of headphones', 'blender', 'phone case', 'laptop stand', 'coffee maker', 'backpack', 'desk lamp',
    'keyboard', 'vacuum', 'kettle', 'charger', 'water bottle', 'toaster', 'smartwatch', 'speaker',
    'mouse', 'air fryer', 'monitor', 'jacket', 'tent', 'drill', 'camera', 'router', 'mattress',
    'product', 'item', 'purchase', 'office chair', 'rice cooker', 'tablet',
  ],
  part: [
    'battery', 'screen', 'zipper', 'handle', 'lid', 'cable', 'button', 'strap', 'motor', 'fabric',
    'sound', 'build quality', 'packaging', 'manual', 'app', 'remote', 'hinge', 'charging port',
    'stitching', 'finish', 'display', 'fan',
  ],
  posAdj: [
    'great', 'excellent', 'fantastic', 'amazing', 'solid', 'sturdy', 'reliable', 'superb', 'wonderful',
    'perfect', 'impressive', 'outstanding', 'well made', 'comfortable', 'brilliant', 'lovely', 'top notch',
  ],
  negAdj: [
    'terrible', 'awful', 'flimsy', 'cheap', 'useless', 'disappointing', 'horrible', 'poor', 'defective',
    'worthless', 'faulty', 'dreadful', 'shoddy', 'pathetic', 'unreliable', 'badly made', 'fragile',
  ],
  neuAdj: ['okay', 'fine', 'average', 'decent', 'acceptable', 'ordinary', 'standard', 'alright', 'adequate', 'so so'],
  posAdv: ['perfectly', 'flawlessly', 'beautifully', 'really well', 'great', 'like a charm', 'exactly as promised'],
  posVerb: ['love', 'adore', 'really like', 'am thrilled with', 'am very happy with', 'enjoy using', 'am delighted with'],
  negVerb: ['hate', 'regret buying', 'am disappointed with', 'can not stand', 'returned', 'want a refund for', 'am fed up with'],
  failure: [
    'broke', 'stopped working', 'fell apart', 'cracked', 'died', 'quit on me', 'started leaking', 'overheated',
    'snapped', 'stopped charging', 'burned out',
  ],
  duration: ['a day', 'two days', 'a week', 'three weeks', 'a month', 'an hour', 'the first use', 'two uses', 'ten minutes'],
  person: ['wife', 'husband', 'son', 'daughter', 'mother', 'dad', 'roommate', 'partner', 'neighbour'],
  posClose: ['would buy again', 'highly recommended', 'no complaints at all', 'worth every penny', 'very satisfied', 'a real bargain'],
  negClose: ['avoid it', 'save your money', 'total waste', 'never again', 'returning it', 'not worth the price'],
  neuClose: ['nothing special', 'it is what it is', 'does the job', 'neither good nor bad', 'about what I expected'],
  day: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'the weekend'],
  opener: ['', '', '', 'Honestly, ', 'Overall, ', 'So far ', 'To be fair, ', 'Update: ', 'In short, '],
};

/** Sentence templates per label. */
export const REVIEW_TEMPLATES: Record<SentimentLabel, readonly string[]> = {
  positive: [
    'I {posVerb} this {product}.',
    'The {part} is {posAdj}.',
    '{opener}{posAdj} {product}, {posClose}.',
    'Works {posAdv} and the {part} is {posAdj}.',
    'Best {product} I have ever owned.',
    'I highly recommend this {product} to anyone.',
    'It exceeded my expectations.',
    'Arrived quickly and works {posAdv}.',
    'After {duration} it still works {posAdv}.',
    'My {person} loves it.',
    'Five stars, {posClose}.',
    'Great value for the money.',
    'Setup was easy and the {part} feels {posAdj}.',
    'I would buy this {product} again.',
    'Much better than my old {product}.',
    '{opener}the {part} is {posAdj} and it works {posAdv}.',
    'The {part} is a bit {neuAdj} but overall I {posVerb} this {product}.',
    'Really {posAdj} quality for the price.',
    'So happy with this {product}, {posClose}.',
    'This {product} is {posAdj}.',
  ],
  negative: [
    'This {product} is {negAdj}.',
    'It {failure} after {duration}.',
    'The {part} {failure} after {duration}.',
    'I {negVerb} this {product}.',
    'Do not buy this {product}.',
    'Complete waste of money.',
    'The {part} is {negAdj} and the {part} is even worse.',
    '{opener}{negAdj} quality, {negClose}.',
    'Customer service never replied to my emails.',
    'One star, {negClose}.',
    'Worst {product} I have ever bought.',
    'It does not work as advertised.',
    'I want my money back.',
    'Arrived damaged and the {part} was missing.',
    'Much worse than my old {product}.',
    'The {part} looked {posAdj} at first but it {failure} after {duration}.',
    '{opener}the {part} is {negAdj}, {negClose}.',
    'Very {negAdj}, it {failure} within {duration}.',
    'Stay away from this {product}.',
    'This is {negAdj}, it {failure} after {duration}.',
  ],
  neutral: [
    'The {product} is {neuAdj}.',
    'It does the job, nothing special.',
    'The {part} is {neuAdj} for the price.',
    'Arrived on {day}, have not used it much yet.',
    'It is an average {product}.',
    'Not great, not terrible.',
    'The {part} could be better but it works.',
    'It looks exactly like the pictures.',
    'Three stars, {neuClose}.',
    'I have mixed feelings about this {product}.',
    'It works as expected.',
    'Does what it says, no more and no less.',
    'The color is slightly different from the photos.',
    'Too early to say how it holds up.',
    '{opener}the {product} is {neuAdj}, {neuClose}.',
    'Delivery took a few days and the box was plain.',
    'It is fine for occasional use.',
    'The {part} is {neuAdj} and the {part} is {neuAdj}.',
    'Pretty much the same as my old {product}.',
    'Neither impressed nor disappointed.',
  ],
};

/** Neutral asides mixed into positive and negative reviews (facts, not opinions). */
export const NEUTRAL_ASIDES: readonly string[] = [
  'Arrived on {day}.',
  'Delivery took a few days.',
  'It looks exactly like the pictures.',
  'The color is slightly different from the photos.',
  'I bought it for my {person}.',
  'I use it mostly on {day}.',
  'It came in a plain box.',
  'I have had it for {duration}.',
];

/** Whole reviews written by hand (not templated), to add natural phrasing. */
export const HAND_WRITTEN_REVIEWS: ReadonlyArray<{ text: string; label: SentimentLabel }> = [
  { text: 'Absolutely love it. The sound is rich and the battery lasts for days.', label: 'positive' },
  { text: 'This blender crushes ice like nothing, my smoothies have never been better.', label: 'positive' },
  { text: 'Comfortable enough to wear all day and the noise cancelling is superb.', label: 'positive' },
  { text: 'Bought one for my dad and he keeps telling everyone about it.', label: 'positive' },
  { text: 'Sturdy, quiet and easy to clean. Exactly what I wanted.', label: 'positive' },
  { text: 'The customer support team replaced a missing screw within a day. Great service!', label: 'positive' },
  { text: 'I was skeptical but this little speaker is fantastic.', label: 'positive' },
  { text: 'Fits my laptop perfectly and looks great on the desk.', label: 'positive' },
  { text: 'Keeps my coffee hot for hours, very pleased.', label: 'positive' },
  { text: 'A joy to use every morning.', label: 'positive' },
  { text: 'Stopped charging after two weeks and the seller ignored me.', label: 'negative' },
  { text: 'The zipper broke the first time I opened the bag. Terrible.', label: 'negative' },
  { text: 'Smells like burning plastic whenever it runs. Returned it.', label: 'negative' },
  { text: 'Instructions were useless and two parts were missing.', label: 'negative' },
  { text: 'Way too loud and it leaks water all over the counter.', label: 'negative' },
  { text: 'Cheap plastic that cracked in the cold. Very disappointed.', label: 'negative' },
  { text: 'The app keeps crashing and the device disconnects every few minutes.', label: 'negative' },
  { text: 'Broke after a week, what a waste of money.', label: 'negative' },
  { text: 'Looks nothing like the photos and feels flimsy.', label: 'negative' },
  { text: 'I regret this purchase, it stopped working almost immediately.', label: 'negative' },
  { text: 'It is a lamp. It turns on and off.', label: 'neutral' },
  { text: 'Average sound quality, average battery, average price.', label: 'neutral' },
  { text: 'Shipping was on time. I have only used it twice so far.', label: 'neutral' },
  { text: 'Does what it should, though the cable is a little short.', label: 'neutral' },
  { text: 'Fine for the price, I would not expect more.', label: 'neutral' },
  { text: 'Same as the one I had before, no real difference.', label: 'neutral' },
  { text: 'The size is as described and the color is a bit darker.', label: 'neutral' },
  { text: 'Nothing to complain about and nothing to rave about.', label: 'neutral' },
  { text: 'It is okay. My kids use it more than I do.', label: 'neutral' },
  { text: 'Standard charger, charges my phone at a normal speed.', label: 'neutral' },
];
