import type { SentimentLabel } from './review-lexicon';

/**
 * Domains of {@link UNSEEN_DOMAIN_REVIEWS}; the training corpus never names them (a unit test
 * checks that none of {@link UNSEEN_DOMAIN_WORDS} occurs in a training text).
 */
export const UNSEEN_DOMAINS = ['hotels', 'restaurants', 'apps', 'flights', 'shoes'] as const;

/** Domain nouns of the unseen domains: no training text contains one of these words. */
export const UNSEEN_DOMAIN_WORDS: readonly string[] = [
  'hotel', 'hotels', 'restaurant', 'restaurants', 'app', 'apps', 'flight', 'flights', 'airline', 'shoe', 'shoes',
  'sneakers', 'waiter', 'menu', 'luggage', 'boarding', 'pizza', 'pasta', 'steak', 'dessert', 'breakfast', 'legroom',
  'soles', 'heel', 'laces', 'blisters', 'lobby', 'check-in', 'cabin', 'departure', 'airport',
];

/**
 * A held-out sentiment benchmark written for this project apart from the training corpus:
 * reviews of hotels, restaurants, apps, flights and shoes (domains the corpus never saw), with
 * negation ("not bad at all"), contrast ("I wanted to love it but ...") and plain facts.
 * Never trained on; the demo sentiment model's `unseenDomainAccuracy` is measured here.
 */
export const UNSEEN_DOMAIN_REVIEWS: ReadonlyArray<{ text: string; label: SentimentLabel }> = [
  // positive
  { text: 'The hotel room was spotless and the staff went out of their way to help us.', label: 'positive' },
  { text: 'Five stars, it does exactly what it promises.', label: 'positive' },
  { text: 'Not bad at all, the pasta was actually really tasty.', label: 'positive' },
  { text: 'I was worried about the long flight but the crew made it a pleasant trip.', label: 'positive' },
  { text: 'Check-in took two minutes and the bed was incredibly comfortable.', label: 'positive' },
  { text: 'These shoes are so comfortable I wore them all day without any blisters.', label: 'positive' },
  { text: 'The app is fast, simple and never crashes.', label: 'positive' },
  { text: 'Best pizza in town, we will definitely come back.', label: 'positive' },
  { text: 'Our waiter was friendly and the dessert was delicious.', label: 'positive' },
  { text: 'The flight left on time and we even landed early.', label: 'positive' },
  { text: "I can't recommend this hotel enough.", label: 'positive' },
  { text: 'Honestly, I did not expect much, but the food was fantastic.', label: 'positive' },
  { text: 'The new update made the app much easier to use.', label: 'positive' },
  { text: 'Great fit, true to size and they look even better in person.', label: 'positive' },
  { text: 'The pool was clean, the breakfast was generous and the view was stunning.', label: 'positive' },
  { text: 'Never had a problem with this app, it just works.', label: 'positive' },
  { text: 'The cabin crew were lovely and the seats had plenty of legroom.', label: 'positive' },
  { text: 'Lovely little restaurant with warm service and fair prices.', label: 'positive' },
  { text: 'After a month of running in them, my knees have never felt better.', label: 'positive' },
  { text: 'The booking app saved me so much time, I love it.', label: 'positive' },
  { text: 'The staff upgraded our room for free, what a nice surprise.', label: 'positive' },
  { text: 'Without a doubt the most comfortable sneakers I own.', label: 'positive' },
  { text: 'Every dish we ordered was full of flavour.', label: 'positive' },
  { text: 'Smooth boarding, friendly staff and a very comfortable flight.', label: 'positive' },
  { text: 'It is not perfect, but I am really happy with it overall.', label: 'positive' },
  // negative
  { text: 'Overpriced, noisy and slow, I returned it.', label: 'negative' },
  { text: 'I wanted to love this hotel but the room smelled of smoke.', label: 'negative' },
  { text: 'The food was not good and the waiter ignored us.', label: 'negative' },
  { text: 'Our flight was delayed six hours and nobody told us why.', label: 'negative' },
  { text: 'The app crashes every time I try to log in.', label: 'negative' },
  { text: 'The soles came apart after two weeks of light walking.', label: 'negative' },
  { text: 'For what they charge per night, it was not worth it at all.', label: 'negative' },
  { text: 'The room was dirty and the air conditioning did not work.', label: 'negative' },
  { text: 'They lost my luggage and customer service hung up on me.', label: 'negative' },
  { text: 'The steak was cold and tasted like cardboard.', label: 'negative' },
  { text: 'These shoes gave me blisters on the first day.', label: 'negative' },
  { text: 'I waited forty minutes for a table I had booked.', label: 'negative' },
  { text: 'The latest update drains my battery and the app freezes constantly.', label: 'negative' },
  { text: 'Rude staff, tiny room and a broken shower.', label: 'negative' },
  { text: 'The seats were cramped and the entertainment screen never worked.', label: 'negative' },
  { text: 'The photos looked great, but the hotel was nothing like them.', label: 'negative' },
  { text: 'I would never fly with this airline again.', label: 'negative' },
  { text: 'Way too salty, I could not finish my plate.', label: 'negative' },
  { text: 'The app keeps asking me to pay for features that used to be free.', label: 'negative' },
  { text: 'The heel started squeaking after a few days and they hurt my feet.', label: 'negative' },
  { text: 'Nobody at the front desk could help us with anything.', label: 'negative' },
  { text: 'I had high hopes, but the service was painfully slow.', label: 'negative' },
  { text: 'It does not do what it promises.', label: 'negative' },
  { text: 'The flight was cancelled and the refund never arrived.', label: 'negative' },
  { text: 'Not comfortable at all, I regret buying them.', label: 'negative' },
  // neutral
  { text: 'The hotel is a ten minute walk from the train station.', label: 'neutral' },
  { text: 'We ordered the soup and a salad to share.', label: 'neutral' },
  { text: 'The app is available for both Android and iPhone.', label: 'neutral' },
  { text: 'The flight was about three hours long.', label: 'neutral' },
  { text: 'I usually wear a size nine and ordered the same.', label: 'neutral' },
  { text: 'The room had two beds, a desk and a small window.', label: 'neutral' },
  { text: 'The restaurant is open until eleven on weekdays.', label: 'neutral' },
  { text: "It's okay, nothing special but it works.", label: 'neutral' },
  { text: 'The shoes come in black, white and navy.', label: 'neutral' },
  { text: 'Breakfast is served from seven to ten.', label: 'neutral' },
  { text: "I booked the flight through the airline's website.", label: 'neutral' },
  { text: 'The menu has a few vegetarian options.', label: 'neutral' },
  { text: 'The app asks for your location when you first open it.', label: 'neutral' },
  { text: 'Not great, not terrible, just an average hotel.', label: 'neutral' },
  { text: 'We stayed for three nights in early May.', label: 'neutral' },
  { text: 'The food was fine, about what you would expect for the price.', label: 'neutral' },
  { text: 'There is a small gym on the second floor.', label: 'neutral' },
  { text: 'The update changed where the settings menu is.', label: 'neutral' },
  { text: 'The laces are flat rather than round.', label: 'neutral' },
  { text: 'Boarding started thirty minutes before departure.', label: 'neutral' },
  { text: 'The meal was decent but nothing memorable.', label: 'neutral' },
  { text: 'I have only used the app a couple of times so far.', label: 'neutral' },
  { text: 'Parking costs extra and is next to the lobby.', label: 'neutral' },
  { text: 'They feel about the same as my previous pair.', label: 'neutral' },
  { text: 'The waiter brought the bill when we asked.', label: 'neutral' },
];
