/**
 * Phrase banks of the broad sentiment corpus ({@link buildSentimentCorpus}), written by hand for
 * this project: domains (what is reviewed, its parts, who serves you) and opinion phrases that
 * fit any domain. No bank names hotels, restaurants, apps, flights or shoes: those domains are
 * kept for the unseen-domain benchmark.
 */

/** A reviewed domain: things or services, their aspects, and the people involved. */
export interface ReviewDomain {
  name: string;
  items: readonly string[];
  aspects: readonly string[];
  staff: readonly string[];
}

const SELLERS = ['the seller', 'customer service', 'the support team', 'the shop'];

/** Domains of the training corpus. */
export const TRAINING_DOMAINS: readonly ReviewDomain[] = [
  { name: 'electronics', items: ['headphones', 'laptop', 'phone', 'speaker', 'camera', 'monitor', 'router', 'tablet', 'charger', 'keyboard', 'smartwatch', 'printer', 'television'], aspects: ['battery', 'screen', 'sound', 'signal', 'buttons', 'charging port', 'display', 'microphone', 'software'], staff: SELLERS },
  { name: 'kitchen', items: ['blender', 'kettle', 'toaster', 'coffee maker', 'air fryer', 'knife set', 'frying pan', 'rice cooker', 'microwave', 'dishwasher'], aspects: ['lid', 'handle', 'motor', 'coating', 'blades', 'timer', 'power cord'], staff: SELLERS },
  { name: 'books', items: ['novel', 'book', 'cookbook', 'biography', 'textbook', 'audiobook', 'comic'], aspects: ['plot', 'characters', 'writing', 'ending', 'chapters', 'narrator', 'illustrations'], staff: ['the author', 'the publisher', 'the bookshop'] },
  { name: 'films', items: ['film', 'movie', 'series', 'documentary', 'show', 'sequel'], aspects: ['acting', 'script', 'soundtrack', 'pacing', 'ending', 'special effects', 'dialogue'], staff: ['the director', 'the cast', 'the studio'] },
  { name: 'games', items: ['game', 'board game', 'puzzle', 'console', 'controller', 'video game'], aspects: ['controls', 'graphics', 'levels', 'story', 'multiplayer', 'rules'], staff: ['the developers', 'the studio', 'support'] },
  { name: 'furniture', items: ['sofa', 'desk', 'chair', 'bookshelf', 'mattress', 'wardrobe', 'dining table', 'bed frame'], aspects: ['cushions', 'assembly', 'frame', 'drawers', 'legs', 'finish', 'instructions'], staff: ['the delivery crew', 'the store', 'the fitters'] },
  { name: 'clothing', items: ['jacket', 'dress', 'sweater', 'jeans', 'coat', 'backpack', 'shirt', 'scarf', 'raincoat'], aspects: ['fabric', 'stitching', 'zipper', 'colour', 'sizing', 'pockets', 'lining'], staff: SELLERS },
  { name: 'tools', items: ['drill', 'lawn mower', 'ladder', 'garden hose', 'saw', 'toolbox', 'pressure washer'], aspects: ['grip', 'battery', 'blade', 'motor', 'case', 'trigger'], staff: SELLERS },
  { name: 'beauty', items: ['shampoo', 'moisturiser', 'perfume', 'razor', 'face cream', 'hair dryer', 'lipstick'], aspects: ['scent', 'texture', 'packaging', 'bottle', 'formula'], staff: SELLERS },
  { name: 'groceries', items: ['coffee beans', 'tea', 'chocolate', 'olive oil', 'honey', 'cereal', 'bread', 'cheese', 'sauce'], aspects: ['taste', 'aroma', 'freshness', 'texture', 'flavour', 'portion', 'packaging'], staff: ['the grocer', 'the bakery', 'the shop'] },
  { name: 'pets', items: ['dog food', 'cat litter', 'leash', 'pet bed', 'scratching post', 'bird cage'], aspects: ['material', 'size', 'smell', 'clasp'], staff: ['the vet', 'the pet shop', 'the groomer'] },
  { name: 'home services', items: ['plumber', 'electrician', 'cleaning service', 'moving company', 'roofer', 'painter', 'locksmith'], aspects: ['price', 'quote', 'appointment', 'invoice', 'work', 'timing'], staff: ['the technician', 'the crew', 'the team', 'the owner', 'the cleaner'] },
  { name: 'finance', items: ['bank', 'insurance company', 'credit card', 'savings account', 'accountant', 'mortgage broker'], aspects: ['fees', 'interest rate', 'paperwork', 'branch', 'website', 'claim process'], staff: ['the advisor', 'the agent', 'the branch staff', 'the manager'] },
  { name: 'telecom', items: ['internet provider', 'phone plan', 'broadband', 'mobile network', 'cable package'], aspects: ['connection', 'coverage', 'speed', 'contract', 'bill', 'installation'], staff: ['the engineer', 'the agent', 'customer support'] },
  { name: 'car', items: ['car', 'bike', 'scooter', 'garage', 'car wash', 'electric car', 'motorbike'], aspects: ['brakes', 'engine', 'seat', 'gears', 'tyres', 'repair', 'service'], staff: ['the mechanic', 'the dealer', 'the salesman', 'the garage'] },
  { name: 'health', items: ['dentist', 'clinic', 'physiotherapist', 'pharmacy', 'optician', 'vet practice'], aspects: ['appointment', 'waiting room', 'treatment', 'reception', 'prices'], staff: ['the doctor', 'the nurse', 'the receptionist', 'the dentist'] },
  { name: 'learning', items: ['online course', 'language class', 'workshop', 'tutor', 'coding bootcamp', 'cooking class'], aspects: ['lessons', 'exercises', 'teacher', 'materials', 'schedule', 'homework'], staff: ['the teacher', 'the instructor', 'the tutor', 'the organisers'] },
  { name: 'events', items: ['concert', 'theatre show', 'museum', 'festival', 'zoo', 'comedy night', 'exhibition'], aspects: ['seats', 'sound system', 'tickets', 'queue', 'venue', 'performers', 'exhibits'], staff: ['the ushers', 'the organisers', 'the security staff', 'the guides'] },
  { name: 'salon', items: ['hair salon', 'barber', 'nail salon', 'spa', 'massage'], aspects: ['haircut', 'colour', 'treatment', 'booking', 'price'], staff: ['the stylist', 'the barber', 'the therapist', 'the receptionist'] },
  { name: 'delivery', items: ['courier', 'parcel service', 'delivery', 'online shop', 'marketplace order'], aspects: ['tracking', 'packaging', 'delivery time', 'returns', 'refund'], staff: ['the driver', 'the courier', 'customer service'] },
];

/** Adjectives that praise, in any domain. */
export const POSITIVE_ADJECTIVES: readonly string[] = [
  'great', 'excellent', 'fantastic', 'amazing', 'superb', 'wonderful', 'perfect', 'brilliant', 'lovely', 'outstanding',
  'terrific', 'fabulous', 'delightful', 'impressive', 'solid', 'sturdy', 'reliable', 'comfortable', 'spotless', 'clean',
  'tidy', 'fresh', 'delicious', 'tasty', 'flavourful', 'quick', 'fast', 'speedy', 'smooth', 'quiet', 'peaceful', 'cosy',
  'spacious', 'roomy', 'bright', 'beautiful', 'gorgeous', 'stunning', 'elegant', 'stylish', 'charming', 'friendly',
  'helpful', 'kind', 'polite', 'welcoming', 'attentive', 'professional', 'knowledgeable', 'efficient', 'punctual',
  'generous', 'affordable', 'reasonable', 'intuitive', 'simple', 'easy', 'effortless', 'handy', 'useful', 'convenient',
  'responsive', 'accurate', 'durable', 'soft', 'pleasant', 'enjoyable', 'fun', 'entertaining', 'gripping', 'relaxing',
  'satisfying', 'top notch', 'first class', 'well made', 'flawless', 'seamless', 'awesome', 'good', 'nice', 'cheerful',
  'incredible', 'exceptional', 'marvellous', 'splendid', 'good value', 'worth it', 'immaculate', 'fair', 'warm', 'supportive',
];

/** Adjectives that complain, in any domain. */
export const NEGATIVE_ADJECTIVES: readonly string[] = [
  'terrible', 'awful', 'horrible', 'dreadful', 'poor', 'bad', 'useless', 'worthless', 'disappointing', 'defective',
  'faulty', 'broken', 'flimsy', 'cheap', 'shoddy', 'fragile', 'unreliable', 'dirty', 'filthy', 'grimy', 'stained',
  'smelly', 'noisy', 'loud', 'slow', 'sluggish', 'overpriced', 'expensive', 'pricey', 'cramped', 'uncomfortable',
  'stiff', 'scratchy', 'itchy', 'stale', 'bland', 'greasy', 'soggy', 'burnt', 'salty', 'tasteless', 'rude', 'unhelpful',
  'unfriendly', 'dismissive', 'incompetent', 'unprofessional', 'careless', 'confusing', 'complicated', 'clunky', 'buggy',
  'glitchy', 'laggy', 'unstable', 'inaccurate', 'unusable', 'misleading', 'late', 'delayed', 'boring', 'dull', 'tedious',
  'annoying', 'frustrating', 'painful', 'ugly', 'tacky', 'outdated', 'worn out', 'sticky', 'leaky', 'wobbly', 'unsafe',
  'mediocre', 'disgusting', 'pathetic', 'lousy', 'atrocious', 'chaotic', 'disorganised', 'a rip off', 'a nightmare',
  'a joke', 'a disaster', 'miserable', 'gross', 'damaged', 'mouldy', 'cold and tasteless', 'too small', 'tiny', 'dusty',
];

/** Adjectives of a lukewarm, neither-nor opinion. */
export const NEUTRAL_ADJECTIVES: readonly string[] = [
  'okay', 'ok', 'fine', 'average', 'decent', 'acceptable', 'ordinary', 'standard', 'alright', 'adequate', 'so so',
  'basic', 'typical', 'passable', 'unremarkable', 'middle of the road', 'as expected', 'fairly normal', 'pretty standard',
];

/** Intensifiers before an adjective ('' leaves it bare). */
export const INTENSIFIERS: readonly string[] = ['', '', '', 'very ', 'really ', 'so ', 'incredibly ', 'extremely ', 'quite ', 'truly ', 'absolutely ', 'super '];

/** What people did, praised. */
export const POSITIVE_SERVICE: readonly string[] = [
  'went out of their way to help', 'went above and beyond', 'fixed the problem in no time', 'answered all my questions',
  'were friendly and helpful', 'were very patient with me', 'sorted everything out quickly', 'called back within minutes',
  'treated us like family', 'made everything easy', 'explained everything clearly', 'arrived right on time', 'did a great job',
  'kept us updated the whole time', 'resolved it on the first call', 'gave us a warm welcome', 'looked after us so well',
  'were a pleasure to deal with', 'made us feel welcome', 'helped us straight away', 'took great care of us',
];

/** What people did, complained about. */
export const NEGATIVE_SERVICE: readonly string[] = [
  'ignored us', 'never called back', 'hung up on me', 'were rude and unhelpful', 'could not help with anything',
  'kept us waiting for an hour', 'did not show up', 'lost my paperwork', 'charged me twice', 'made the problem worse',
  'never replied to my emails', 'left a mess behind', 'argued with me', 'gave me the wrong information', 'were rude to my kids',
  'overcharged us', 'did not care at all', 'blamed me for their mistake', 'refused to help', 'lied to us', 'kept passing me around',
];

/** What a thing does, praised. */
export const POSITIVE_DOES: readonly string[] = [
  'exceeded my expectations', 'does exactly what it promises', 'works like a charm', 'was worth every penny',
  'saved me a lot of time', 'made my life easier', 'never lets me down', 'keeps getting better', 'is a joy to use',
  'blew me away', 'still feels like new', 'paid for itself', 'delivers every time', 'just works', 'did not disappoint',
  'works perfectly', 'works really well', 'runs beautifully', 'made my day', 'is exactly what I needed', 'feels great',
  'does everything I need', 'lives up to the hype', 'is better than I hoped', 'has been a game changer',
  'still works perfectly after {duration}', 'has been great for {duration} now', 'made everything so much easier',
  'is much better than my old one', 'is faster and quieter than the last one', 'has never been better', 'works better than ever',
  'is so much easier to use than before', 'has held up well for {duration}', 'keeps us happy every time',
];

/** What a thing does, complained about ({duration} is filled). */
export const NEGATIVE_DOES: readonly string[] = [
  'stopped working after {duration}', 'fell apart after {duration}', 'broke on the first day', 'does not work as advertised',
  'is a complete waste of money', 'was nothing like the description', 'keeps freezing', 'died after {duration}',
  'smells like burnt plastic', 'leaks everywhere', 'gave me a headache', 'drains the battery', 'made a horrible noise',
  'never worked properly', 'failed within {duration}', 'arrived broken', 'cracked after {duration}', 'keeps crashing',
  'is falling apart already', 'tastes awful', 'made me sick', 'wasted my whole afternoon', 'ruined my weekend',
  'does not do what it promises', 'costs far too much', 'hurts to use', 'keeps breaking down',
  'smelled of smoke', 'smells of damp', 'stinks of chemicals', 'fails every time I try to use it', 'freezes every time I turn it on',
  'is much worse than my old one', 'got worse after {duration}', 'is slower and louder than the last one', 'is harder to use than before',
  'gets worse every week', 'crashes every time I open it', 'gave me a rash', 'looked nothing like the pictures', 'has gone downhill',
];

/** Closing remarks, praised. */
export const POSITIVE_CLOSERS: readonly string[] = [
  'would buy again', 'highly recommended', 'worth every penny', 'no complaints', 'five stars', 'ten out of ten',
  'we will definitely come back', 'I will be back', 'I cannot wait to go back', 'could not be happier', 'absolutely love it',
  'a real bargain', 'I recommend them to everyone', 'will use them again', 'thumbs up', 'a great experience', 'very satisfied',
  'happy customer', 'best decision ever', 'a must have', 'I am so glad I chose it', 'I can not recommend it enough',
];

/** Closing remarks, complained about. */
export const NEGATIVE_CLOSERS: readonly string[] = [
  'avoid', 'save your money', 'never again', 'total waste', 'one star', 'zero stars if I could', 'I want a refund',
  'I returned it', 'I will not be back', 'stay away', 'not worth the price', 'what a rip off', 'I regret it',
  'very disappointed', 'a complete disaster', 'the worst experience', 'I asked for my money back', 'do not bother',
  'I would not recommend it', 'never using them again', 'what a letdown', 'I should have listened to the reviews',
];

/** Closing remarks of a lukewarm opinion. */
export const NEUTRAL_CLOSERS: readonly string[] = [
  'nothing special', 'it is what it is', 'does the job', 'neither good nor bad', 'about what I expected', 'no strong feelings',
  'average overall', 'three stars', 'it is fine', 'time will tell', 'we will see how it holds up', 'nothing to write home about',
  'no more and no less', 'it serves its purpose',
];

/** Factual sentences (no opinion); slots are filled from {@link FACT_SLOTS} and the domain. */
export const NEUTRAL_FACTS: readonly string[] = [
  'The {item} comes in {colours}.', 'It arrived on {day}.', 'I bought the {item} {when}.', 'The {aspect} is {colour}.',
  'It costs {price} and ships in {duration}.', 'I have used it {count} times so far.', '{Staff} came on {day} at {time}.',
  'We went there on a {day} {partOfDay}.', 'It is a {minutes} minute walk from the {place}.', 'They are open from {hour} to {hour2}.',
  'They also sell {item2}.', 'My {person} ordered the {item} for {occasion}.', 'The {item} has {number} {aspect} settings.',
  'The appointment lasted about {duration}.', 'The package included a charger and a manual.', 'The {aspect} can be adjusted.',
  'I usually buy the {size} version.', 'It is available in {number} sizes.', 'Delivery takes {duration} and costs extra.',
  'The {item} replaced my old one.', 'It is the same as the previous model.', 'You can pay by card or cash.',
  'We booked it a week in advance.', '{Staff} asked for my {detail}.', 'It was my first time trying one.', 'I ordered the {size} one.',
  'The manual is in three languages.', 'The {item} weighs about {number} kilos.', 'I use it mostly on {day}.',
  'The {aspect} is on the left side.', 'It is made of {material}.', 'We were a group of {number} people.',
  'The {item} is about {number} years old now.', 'I picked it up from the store on {day}.', 'It runs on {power}.',
  'The {aspect} needs to be replaced every {duration}.', 'The price went up last year.', 'It is similar to the one my {person} has.',
  'I read about it online before buying.', 'The instructions say to wait {duration} before using it.', 'There are {number} models to choose from.',
  'I have not used it much yet.', 'I am not sure yet what I think of it.', 'It is too early to say how it holds up.',
  'I have had the {item} for {duration}.', 'We stayed for about {duration}.', 'The box was plain and brown.',
  'It was delivered to my neighbour.', 'The {item} is mostly used by my {person}.', 'It is the {number}th one I have bought.',
  'The {aspect} is smaller than on the older version.', 'The colour is slightly different from the photos.',
  'I did not need to contact {staff}.', 'There is a car park next to the entrance.', 'Tickets are sold at the door.',
  'It takes about {duration} to set up.', 'The {item} was a gift from my {person}.', 'They changed the {aspect} this year.',
  'It is served from {hour} to {hour2}.', 'I booked it through their website.', 'There are a few options to choose from.',
  'It asks for your {detail} when you first sign up.', 'They moved the {aspect} to the other side.', 'The {aspect} is flat rather than round.',
  'It started {minutes} minutes after the scheduled time.', '{Staff} brought the paperwork when we asked.', 'The {item} has {number} doors and a small window.',
  'It opens at {hour} on weekdays.', 'We ordered two of them.', 'It is sold in most supermarkets.', 'The {item} sits next to the window.',
  'The {aspect} shows the time and the date.', 'It needs {number} batteries.', 'It comes with a two year warranty.',
  'They offer a student discount on {day}.', 'The {item} is stored in the garage.', 'The website lists {number} versions.',
  'I paid by card.', 'It was delivered in {duration}.', 'The queue moved at the usual pace.', 'It is open until {hour2} on {day}.',
  'The {item} faces the street.', 'There is a small table and two chairs.', 'The {staff} checked my {detail}.', 'We took the bus there.',
  'I went back on {day} to pick it up.', 'It holds about {number} litres.', 'The {aspect} is the same as last year.',
  'It includes a {aspect} and a cable.', 'I have the {size} one and my {person} has the {size} one.', 'The {item} uses {power}.',
  'Most of the customers were families.', 'It has {number} settings and a timer.', 'The price includes delivery.',
  'I asked about the {aspect} before ordering.', 'We arrived at {time} and left at {hour2}.', 'It took {minutes} minutes to get there.',
  'The {item} was on the second shelf.', 'It requires a free account.', 'They send an email when it ships.', 'The {aspect} is printed on the side.',
  'It is a {size} {item}.', 'I replaced the {aspect} last month.', 'They also have a branch in the town centre.', 'It is one of {number} similar models.',
  'The {item} arrived in two boxes.', 'The staff wear blue uniforms.', 'It runs for about {duration} on one charge.', 'I usually go there on {day}.',
  'We chose the {size} option.', 'The {aspect} can be turned off in the settings.', 'It weighs about as much as a bag of sugar.',
  'They updated the {aspect} in the spring.', 'It lasted {duration}, as described.', 'The {item} came with {number} spare parts.',
];

/** Slots of {@link NEUTRAL_FACTS} beyond the domain's. */
export const FACT_SLOTS: Record<string, readonly string[]> = {
  colours: ['black and white', 'red, blue and grey', 'three colours', 'green or brown', 'silver and gold'],
  colour: ['blue', 'grey', 'black', 'white', 'dark green', 'beige'],
  day: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'],
  when: ['last week', 'in March', 'two months ago', 'for my birthday', 'on sale', 'in the spring', 'yesterday'],
  price: ['twenty dollars', 'about fifty euros', 'forty pounds', 'under a hundred dollars'],
  duration: ['two days', 'a week', 'three weeks', 'a month', 'an hour', 'ten minutes', 'a year', 'six months', 'half an hour'],
  count: ['a few', 'two', 'three', 'five', 'a dozen'],
  time: ['nine', 'noon', 'half past two', 'four', 'eight in the morning'],
  partOfDay: ['morning', 'afternoon', 'evening', 'night'],
  minutes: ['five', 'ten', 'fifteen', 'twenty'],
  place: ['bus stop', 'station', 'town centre', 'main square', 'shopping centre'],
  hour: ['eight', 'nine', 'ten'],
  hour2: ['five', 'six', 'seven', 'midnight'],
  person: ['wife', 'husband', 'son', 'daughter', 'mother', 'dad', 'roommate', 'partner', 'neighbour', 'colleague'],
  occasion: ['Christmas', 'her birthday', 'the holidays', 'work', 'school'],
  number: ['two', 'three', 'four', 'five', 'six'],
  size: ['small', 'medium', 'large', 'standard', 'family'],
  detail: ['name', 'address', 'phone number', 'order number', 'date of birth'],
  material: ['plastic', 'steel', 'wood', 'cotton', 'aluminium', 'glass'],
  power: ['batteries', 'mains power', 'a rechargeable battery', 'gas'],
  duration2: ['a day', 'a week'],
};
