import { SeededRandom } from '../../../inference';

/** A labelled row of a shipped dataset, as the JSONL file holds it. */
export interface LabelledRow {
  text: string;
  label: string;
}

/**
 * Support-ticket messages whose tone reads differently in a help desk's jargon: "the refund went
 * through" is good news, "still waiting on ticket #4821" is a complaint, "please update my billing
 * address" is a plain request. Labels are the sentiment model's own (negative / neutral / positive).
 */
const TEMPLATES: Record<'positive' | 'negative' | 'neutral', readonly string[]> = {
  positive: [
    'The refund went through.', 'Refund for order #{n} landed on my card today.', 'Ticket #{n} can be closed, the fix worked.',
    'Confirmed, {feature} is syncing again after the patch.', 'The chargeback was reversed.', 'Payment posted and the account is active again.',
    '{name} walked me through the {feature} setup, all sorted now.', 'The invoice was corrected, we are good.', 'Quick turnaround on #{n}, appreciated.',
    'Our {feature} is back up after the escalation.', 'The credit note came through, you can close this.', 'Access restored for the whole team.',
    'Issue resolved after the cache clear.', 'Got the replacement license key and it activates fine.', 'The duplicate charge has been refunded.',
    'The export finished overnight and the numbers match.', 'Your workaround did the trick, {feature} loads in seconds now.',
    'Migration completed without downtime.', 'SSO is working for the whole org now.', 'The webhook retries are going through again.',
    'Password reset link arrived, I am back in.', 'Seats were added before the deadline, thank you {name}.', 'Billing is fixed from {month} onwards.',
    'The {feature} error is gone since the hotfix.', 'All {count} invoices now show the discount.', 'Verified on our side, ticket #{n} is resolved.',
  ],
  negative: [
    'Still waiting on ticket #{n}.', 'Still waiting on a reply to #{n}, opened {count} days ago.', 'Third time I am writing about the same {feature} error.',
    'No update since {day}, is anyone looking at this?', 'The invoice shows the same charge again this month.', 'Still getting error {code} after the update.',
    'Second outage this week, {feature} is down again.', 'On hold for {count} minutes and then the call dropped.', 'Ticket #{n} was closed without a fix.',
    'The refund promised on {day} never showed up.', 'We were billed twice for {month} and nobody has answered.', 'Escalating: {feature} has been down since {day}.',
    'This is the fourth ticket about the {feature} timeout.', 'Your last reply just pasted the FAQ again.', 'Still locked out of the admin console.',
    'Reopening #{n}, the issue is back.', 'Charged again after cancelling in {month}.', '{feature} keeps timing out for every user in our org.',
    'Two weeks and the {feature} bug is still open.', 'Ticket #{n} bounced between three agents and nothing changed.', 'The sync dropped {count} records again overnight.',
    'We lost a day of work to the {feature} outage.', 'Nobody replied to #{n} before the deadline.', 'Error {code} again, this is blocking our release.',
    'The promised callback on {day} never happened.', 'Still no invoice correction for {month}.',
  ],
  neutral: [
    'Please update my billing address to {address}.', 'How do I export my invoices to CSV?', 'Can you add {name} as a second admin?',
    'What is the API rate limit on the {plan} plan?', 'Please change the invoice email to billing@{company}.com.', 'Could you send the W-9 form for our records?',
    'We would like to move from monthly to annual billing next cycle.', 'Is there a sandbox for testing webhooks?', 'Attaching the logs requested on ticket #{n}.',
    'Which regions is {feature} hosted in?', 'Please remove {name} from our account.', 'Does the {plan} plan include SSO?', 'Our PO number for this quarter is {n}.',
    'Can I get a copy of the {month} invoice?', 'What time is the maintenance window on {day}?', 'Please cancel the auto-renewal for the second seat.',
    'We need {count} more seats starting in {month}.', 'Sharing our new VAT number for the next invoice.', 'Where do I find the audit log for {feature}?',
    'Is {feature} covered by the {plan} plan?', 'Please set the account time zone to UTC.', 'What format does the {feature} import expect?',
    'Can we schedule the onboarding call for {day}?', 'Our finance contact is now {name}.', 'How many API keys can one org create?',
    'Please switch ticket #{n} to {name}, who owns this now.',
  ],
};

const SLOTS: Record<string, readonly string[]> = {
  feature: ['the dashboard', 'SSO', 'the mobile sync', 'the reporting module', 'the API', 'the CSV import', 'the calendar integration', 'the search index', 'the data export', 'single sign-on'],
  name: ['Priya', 'Marco', 'Aisha', 'Tom', 'Lena', 'Kenji', 'Sofia', 'David', 'Olu', 'Mei'],
  day: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'last week', 'the 3rd', 'the 14th'],
  month: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October'],
  code: ['500', '502', '403', '429', 'E1042', 'SYNC-17', '504'],
  count: ['2', '3', '5', '12', '40', '25', '8'],
  plan: ['Starter', 'Team', 'Business', 'Enterprise', 'Pro'],
  address: ['12 Harbour Road, Leeds', '400 Pine St, Seattle', 'Kaiserstrasse 8, Frankfurt', '77 Queen St, Auckland', '5 Rue Lafayette, Paris'],
  company: ['contoso', 'fabrikam', 'litware', 'adventure-works', 'tailspin'],
};

function fill(template: string, random: SeededRandom): string {
  return template.replace(/\{(\w+)\}/g, (_, slot: string) => (slot === 'n' ? String(1000 + random.int(90000)) : random.pick(SLOTS[slot])));
}

/**
 * The rows of `support-ticket-tone.jsonl`: `perLabel` distinct messages per label from the
 * templates above, filled and interleaved with a seed. Same arguments, same rows; the shipped
 * file is this function's output (a unit test checks it).
 */
export function generateSupportTicketTone(perLabel = 120, seed = 15): LabelledRow[] {
  const random = new SeededRandom(seed);
  const byLabel = Object.entries(TEMPLATES).map(([label, templates]) => {
    const texts = new Set<string>();
    for (let tries = 0; texts.size < perLabel && tries < perLabel * 50; tries++) texts.add(fill(random.pick(templates), random));
    return [...texts].map((text) => ({ text, label }));
  });
  return random.shuffle(byLabel.flat());
}
