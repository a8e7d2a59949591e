import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { chromiumPath, consoleBundleDir } from '../support/console-bundle';
import { createDataset, isFinished, START_FINE_TUNE, supportTickets, toJsonl, waitForJob } from '../support/fine-tune-fixtures';
import { demoModels, runInference, subscribe } from '../support/subscription-fixtures';
import { startTestServer, TestServer } from '../support/test-server';

/**
 * The console in a real browser: Debian's chromium driven by playwright-core, against a real
 * server on a real database, seeded with the demo. Screenshots go to test-results/console/.
 */
const executablePath = chromiumPath();
const SHOTS = path.join(__dirname, '..', '..', 'test-results', 'console');
const FEATURES = { features: { type: 'float32', dims: [1, 5], data: [0.1, 0.2, 0.3, 0.4, 0.5] } };
const describeInBrowser = executablePath ? describe : describe.skip;
if (!executablePath) {
  console.warn('test/browser/console.test.ts: SKIPPED, no chromium found (/usr/bin/chromium or CHROMIUM_PATH); CI installs it with apt-get');
}

describeInBrowser(`the console in chromium (${executablePath ?? 'no chromium: skipped; CI installs it'})`, () => {
  jest.setTimeout(180_000);
  let t: TestServer;
  let browser: Browser;
  /** Console errors and uncaught errors of the page (a CSP violation is one): none expected. */
  let problems: string[];

  /** The server's clock: the wall clock, or last month while the invoiced usage is made. */
  let backThen: Date | null = null;
  let invoiceId: string;
  let fineTuneJobId: string;

  beforeAll(async () => {
    t = await startTestServer({ env: { CONSOLE_DIR: consoleBundleDir(), FINE_TUNE_POLL_MS: '200' }, server: { now: () => backThen ?? new Date() } });
    const models = await demoModels(t);
    // Last month: Contoso subscribes to Scale on the 10th and calls twice; closing that month drafts its invoice.
    const now = new Date();
    backThen = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 10, 10));
    await subscribe(t, t.keys.partner, models['review-sentiment'].plans['Scale']);
    for (const text of ['lovely', 'awful']) await runInference(t, t.keys.partner, { modelId: models['review-sentiment'].id, texts: [text] });
    backThen = null;
    const periodEnd = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
    const closed = await t.graphql(t.keys.admin, 'mutation($end: DateTime!) { closeBillingPeriod(input: { periodEnd: $end }) { created userErrors { message } } }', { end: periodEnd });
    expect(closed.data!.closeBillingPeriod).toMatchObject({ created: 1, userErrors: [] });
    invoiceId = (await t.graphql(t.keys.finance, '{ invoices { nodes { id } } }')).data!.invoices.nodes[0].id;
    // This month: the calls the usage pages and quota bars show.
    await subscribe(t, t.keys.partner, models['credit-risk'].plans['Pay as you go']);
    for (let i = 0; i < 3; i++) await runInference(t, t.keys.partner, { modelId: models['review-sentiment'].id, texts: [`call ${i} was great`] });
    for (let i = 0; i < 2; i++) await runInference(t, t.keys.partner, { modelId: models['credit-risk'].id, inputs: FEATURES });
    // A fine-tune of the sentiment model on support tickets, run to the end by the server's worker: the partner's curves.
    const dataset = await createDataset(t, t.keys.partner, toJsonl(supportTickets(30)));
    expect(dataset.userErrors).toEqual([]);
    const started = await t.graphql(t.keys.partner, START_FINE_TUNE, { input: { modelId: models['review-sentiment'].id, datasetId: dataset.dataset.id, suffix: 'tickets', hyperparameters: { epochs: 4, seed: 5 } } });
    expect(started.data!.startFineTune.userErrors).toEqual([]);
    fineTuneJobId = started.data!.startFineTune.job.id;
    expect((await waitForJob(t, t.keys.partner, fineTuneJobId, isFinished)).status).toBe('SUCCEEDED');
    browser = await chromium.launch({ executablePath: executablePath!, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  async function openConsole(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1200, height: 860 }, acceptDownloads: true });
    const page = await context.newPage();
    problems = [];
    page.on('console', (message) => { if (message.type() === 'error') problems.push(message.text()); });
    page.on('pageerror', (error) => problems.push(String(error)));
    await page.goto(`${t.url}/console`);
    return page;
  }

  async function signIn(page: Page, key: string): Promise<void> {
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  const navLinks = (page: Page) => page.getByRole('navigation', { name: 'Pages' }).getByRole('link').allTextContents();

  it('partner: refuses a bad key, signs in by keyboard, sees subscriptions with quota bars, the usage chart in two ranges, is refused the vendor page, signs out', async () => {
    const page = await openConsole();
    await page.getByRole('heading', { name: 'Marketplace console' }).waitFor();
    await shot(page, 'sign-in');

    await page.getByLabel('API key').fill('mk_not_a_real_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('not valid');
    expect(problems).toEqual(['Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
    problems.length = 0; // that refusal was the point

    // Keyboard only: the key field, then Enter.
    await page.getByLabel('API key').fill('');
    await page.getByLabel('API key').focus();
    await page.keyboard.type(t.keys.partner);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    expect(new URL(page.url()).hash).toBe('#/subscriptions');
    expect(page.url()).not.toContain(t.keys.partner);
    expect(await navLinks(page)).toEqual(['Subscriptions', 'Usage', 'Fine-tuning']);
    expect(await page.evaluate('document.cookie')).toBe('');
    expect(await page.evaluate('Object.values(sessionStorage)')).toEqual([t.keys.partner]);
    expect(await page.evaluate('localStorage.length')).toBe(0);

    const sentiment = page.locator('.subscription[data-model="review-sentiment"]');
    await sentiment.waitFor();
    const meter = sentiment.getByRole('meter', { name: 'REQUESTS quota' });
    expect(await meter.getAttribute('aria-valuetext')).toBe('3 of 10,000,000 used, 9,999,997 remaining');
    const api = await t.graphql(t.keys.partner, '{ subscriptions { nodes { model { slug } plan { flatFee { formatted } } quota { meter resetsAt } } } }');
    const scale = api.data!.subscriptions.nodes.find((n: { model: { slug: string } }) => n.model.slug === 'review-sentiment');
    await expect(sentiment.locator('.money').textContent()).resolves.toBe(scale.plan.flatFee.formatted);
    await expect(sentiment.textContent()).resolves.toContain(`resets at ${scale.quota[0].resetsAt.slice(0, 16).replace('T', ' ')} UTC`);
    await expect(page.locator('.subscription[data-model="credit-risk"]').textContent()).resolves.toContain('2 used, no cap');
    await shot(page, 'partner-subscriptions');

    await page.getByRole('link', { name: 'Usage' }).click();
    const chart = page.locator('figure.chart');
    await chart.waitFor();
    expect(await chart.getAttribute('data-bucket')).toBe('DAY');
    expect(await chart.getAttribute('data-buckets')).toBe('7');
    await page.locator('figure.chart canvas').first().waitFor();
    const table = page.locator('table.usage-table');
    expect(await table.locator('thead th').allTextContents()).toEqual(['Day (UTC)', 'credit-risk', 'review-sentiment', 'Total']);
    expect(await table.locator('tfoot td').allTextContents()).toEqual(['2', '3', '5']);
    await shot(page, 'partner-usage-7-days');

    expect(await page.getByRole('button', { name: 'Export events as CSV' }).count()).toBe(0); // FINANCE only
    await page.getByLabel('Last 24 hours (hourly)').check();
    await page.locator('figure.chart[data-bucket="HOUR"]').waitFor();
    expect(await chart.getAttribute('data-buckets')).toBe('24');
    expect(await table.locator('thead th').first().textContent()).toBe('Hour (UTC)');
    expect(await table.locator('tfoot td').allTextContents()).toEqual(['2', '3', '5']);
    await shot(page, 'partner-usage-24-hours');

    await page.getByLabel('Meter', { exact: true }).selectOption('INPUT_TOKENS');
    await expect(table.locator('thead th').allTextContents()).resolves.toEqual(['Hour (UTC)', 'review-sentiment', 'Total']);

    // A custom hourly range wider than the API allows is refused before any call.
    await page.getByLabel('From', { exact: true }).fill('2026-01-01');
    await page.getByLabel('To', { exact: true }).fill('2026-03-01');
    await page.getByLabel('Bucket size').selectOption('HOUR');
    await page.getByRole('button', { name: 'Show range' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Hourly usage covers at most 31 days');

    await page.goto(`${t.url}/console#/models`);
    await page.getByRole('heading', { name: 'You may not see this page' }).waitFor();
    await expect(page.getByRole('alert').textContent()).resolves.toBe('Models needs the role VENDOR; this key has PARTNER.');
    await shot(page, 'partner-refused-models');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await page.reload();
    await page.getByLabel('API key').waitFor();
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("vendor: sees its models with every version's status and plan prices, and its models' usage by subscribers; is refused the partner page", async () => {
    const page = await openConsole();
    await signIn(page, t.keys.vendor);
    expect(await navLinks(page)).toEqual(['Usage', 'Models', 'Revenue', 'Invoices']);
    await page.goto(`${t.url}/console#/models`);
    const sentiment = page.locator('.model[data-model="review-sentiment"]');
    await sentiment.waitFor();
    expect(await page.locator('.model').count()).toBe(3);
    expect(await sentiment.locator('table.versions tbody tr').allInnerTexts()).toEqual([expect.stringMatching(/^1\.0\.0\s+PUBLISHED\s+\d{4}-\d\d-\d\d \d\d:\d\d UTC\s+—$/)]);
    await expect(sentiment.locator('.plan[data-plan="Scale"] .money').textContent()).resolves.toBe('$49.00');
    await expect(sentiment.locator('.plan[data-plan="Scale"]').textContent()).resolves.toContain('100,001 to 1,000,000: $0.0005 per unit');
    await shot(page, 'vendor-models');

    await page.getByRole('link', { name: 'Usage' }).click();
    await page.locator('table.usage-table').waitFor();
    await expect(page.getByText('Usage of your models by every subscriber').count()).resolves.toBe(1);
    expect(await page.locator('table.usage-table tfoot td').allTextContents()).toEqual(['2', '3', '5']);
    await shot(page, 'vendor-usage');

    await page.getByRole('link', { name: 'Revenue' }).click();
    await page.getByText('No invoiced revenue for Northwind AI in').waitFor(); // last month's invoice is still a draft

    await page.goto(`${t.url}/console#/subscriptions`);
    await page.getByRole('heading', { name: 'You may not see this page' }).waitFor();
    await page.goto(`${t.url}/console#/fine-tuning`);
    await expect(page.getByRole('alert').textContent()).resolves.toBe('Fine-tuning needs the role PARTNER; this key has VENDOR, FINANCE.');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('partner: lists its fine-tune jobs and opens one: loss and accuracy curves per epoch with the base model as a reference, the same figures as a table, the log', async () => {
    const page = await openConsole();
    await signIn(page, t.keys.partner);
    await page.getByRole('link', { name: 'Fine-tuning' }).click();
    const api = (await t.graphql(t.keys.partner, `query($id: ID!) { fineTuneJob(id: $id) { status trainedSteps totalSteps baseline { validationAccuracy }
      resultVersion { version model { slug } } epochMetrics { epoch trainLoss validationLoss validationAccuracy } } }`, { id: fineTuneJobId })).data!.fineTuneJob;
    const row = page.locator(`table.jobs tr[data-job="${fineTuneJobId}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-status')).toBe('SUCCEEDED');
    await expect(row.locator('.progress-text').textContent()).resolves.toBe(`${api.totalSteps} of ${api.totalSteps} steps (100%)`);
    await expect(row.getByRole('progressbar', { name: 'Training progress' }).getAttribute('value')).resolves.toBe('1000');
    await expect(row.locator('.result-version').textContent()).resolves.toBe(`${api.resultVersion.model.slug} ${api.resultVersion.version}`);
    await expect(row.textContent()).resolves.toContain('Review sentiment');
    await shot(page, 'partner-fine-tune-jobs');

    await row.getByRole('link').click();
    const job = page.locator(`.fine-tune-job[data-job="${fineTuneJobId}"]`);
    await job.waitFor();
    const epochs = api.epochMetrics.length;
    expect(epochs).toBeGreaterThanOrEqual(4);
    const loss = job.locator('figure.chart[data-chart="loss"]');
    const accuracy = job.locator('figure.chart[data-chart="accuracy"]');
    expect(await loss.getAttribute('data-points')).toBe(String(epochs));
    expect(await loss.getAttribute('data-series')).toBe('Training loss|Validation loss');
    expect(await accuracy.getAttribute('data-series')).toBe('Validation accuracy|Training accuracy|Base model');
    await loss.locator('canvas').first().waitFor();
    await accuracy.locator('canvas').first().waitFor();
    const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
    const best = Math.max(...api.epochMetrics.map((m: { validationAccuracy: number }) => m.validationAccuracy));
    await expect(job.getByRole('img', { name: /^Validation accuracy per epoch/ }).getAttribute('aria-label')).resolves
      .toContain(`best ${pct(best)} at epoch`);
    await expect(job.getByRole('img', { name: /^Validation accuracy per epoch/ }).getAttribute('aria-label')).resolves
      .toContain(`the base model scored ${pct(api.baseline.validationAccuracy)} (dashed reference line)`);
    const last = api.epochMetrics[epochs - 1];
    await expect(job.getByRole('img', { name: /^Training and validation loss per epoch/ }).getAttribute('aria-label')).resolves
      .toContain(`after epoch ${last.epoch}: training ${last.trainLoss.toFixed(4)}, validation ${last.validationLoss.toFixed(4)}`);
    const table = job.locator('table.epoch-table');
    expect(await table.locator('tbody th').allTextContents()).toEqual(api.epochMetrics.map((m: { epoch: number }) => String(m.epoch)));
    expect(await table.locator('tbody .validation-accuracy').allTextContents()).toEqual(api.epochMetrics.map((m: { validationAccuracy: number }) => pct(m.validationAccuracy)));
    await expect(job.locator('.baseline').textContent()).resolves.toBe(`${pct(api.baseline.validationAccuracy)} on this job's validation rows`);
    await expect(job.getByRole('list', { name: 'Job log, oldest first' }).textContent()).resolves.toMatch(/Succeeded/);
    await shot(page, 'partner-fine-tune-job');

    await page.goto(`${t.url}/console#/fine-tuning/${encodeURIComponent('gid://marketplace/FineTuneJob/00000000-0000-0000-0000-000000000000')}`);
    await expect(page.getByRole('alert').textContent()).resolves.toBe('Could not load the fine-tune job. There is no such fine-tune job in your organisation (NOT_FOUND).');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("finance: sees its organisation's usage and the seeded invoice, whose lines sum to its total and match the API; downloads its CSV; is refused subscriptions and models", async () => {
    const page = await openConsole();
    await signIn(page, t.keys.finance);
    expect(await navLinks(page)).toEqual(['Usage', 'Invoices']);
    expect(new URL(page.url()).hash).toBe('#/usage');
    await page.locator('table.usage-table').waitFor();
    expect(await page.locator('table.usage-table tfoot td').allTextContents()).toEqual(['2', '3', '5']);
    await page.getByLabel('Last 30 days (daily)').check();
    await page.locator('figure.chart[data-buckets="30"]').waitFor();
    const [usageCsv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export events as CSV' }).click()]);
    expect(usageCsv.suggestedFilename()).toBe('usage.csv');
    const events = readFileSync((await usageCsv.path())!, 'utf8').split('\r\n');
    expect(events[0]).toMatch(/^occurred_at,event_id,/);
    expect(events.filter((row) => !row.startsWith('Total') && row.includes(',REQUESTS,'))).toHaveLength(7); // last month's 2 and this month's 5
    // per meter: its count and the rated amount of its events (free units here), then one row per currency
    expect(events.find((row) => row.startsWith('Total,,,,,REQUESTS,'))).toMatch(/^Total,,,,,REQUESTS,7,,,\d+\.\d{2},USD$/);
    await shot(page, 'finance-usage');

    const api = (await t.graphql(t.keys.finance, `query($id: ID!) { invoice(id: $id) { number status total { amountMinor formatted } subtotal { formatted }
      lines { id description amount { amountMinor formatted } pricing tiers { fromUnit toUnit units unitPrice amount { amountMinor formatted } } } reconciliation { ok } } }`, { id: invoiceId })).data!.invoice;
    expect(api.status).toBe('DRAFT');
    await page.getByRole('link', { name: 'Invoices' }).click();
    const row = page.locator(`table.invoices tr[data-invoice="${invoiceId}"]`);
    await row.waitFor();
    await expect(row.locator('.money').textContent()).resolves.toBe(api.total.formatted);
    await shot(page, 'finance-invoices');
    await page.getByLabel('Status').selectOption('VOID');
    await page.getByText('No VOID invoices.').waitFor();
    await page.getByLabel('Status').selectOption('');
    await row.getByRole('link', { name: api.number }).click();

    const invoice = page.locator(`.invoice[data-invoice="${invoiceId}"]`);
    await invoice.waitFor();
    const amounts = await invoice.locator('table.invoice-lines tbody .line-amount').allTextContents();
    expect(amounts).toEqual(api.lines.map((l: { amount: { formatted: string } }) => l.amount.formatted));
    expect(api.lines.reduce((sum: bigint, l: { amount: { amountMinor: string } }) => sum + BigInt(l.amount.amountMinor), 0n)).toBe(BigInt(api.total.amountMinor));
    await expect(invoice.locator('.lines-sum').textContent()).resolves.toBe(`The lines add up to the subtotal (${api.subtotal.formatted}).`);
    await expect(invoice.locator('.invoice-total').textContent()).resolves.toBe(api.total.formatted);
    await expect(invoice.locator('.reconciliation').textContent()).resolves.toContain('every usage line equals its usage events');
    await expect(invoice.locator('.stripe-status').textContent()).resolves.toBe('not synced to Stripe');
    // The Scale plan's graduated REQUESTS line, its tiers as rated in rows under it; INPUT_TOKENS is not charged by it.
    const tiered = api.lines.find((l: { pricing: string | null }) => l.pricing === 'GRADUATED');
    expect(tiered.tiers.map((tier: Record<string, unknown>) => [tier.fromUnit, tier.toUnit, tier.units, tier.unitPrice])).toEqual([[1, 100000, 2, '0.001']]);
    const tierRows = invoice.locator(`tr.tier-row[data-tier-of="${tiered.id}"]`);
    expect(await tierRows.locator('th').allTextContents()).toEqual([`↳ Tier 1–100,000 of ${tiered.description}`]);
    expect(await tierRows.locator('.tier-units').allTextContents()).toEqual(['2']);
    expect(await tierRows.locator('.tier-price').allTextContents()).toEqual(['$0.001']);
    const tierAmounts = await tierRows.locator('.tier-amount').allTextContents();
    expect(tierAmounts).toEqual(tiered.tiers.map((tier: { amount: { formatted: string } }) => tier.amount.formatted));
    // As shown: the tier amounts add up to the line amount, in cents.
    const cents = (shown: string) => BigInt(shown.replace(/[^0-9-]/g, ''));
    const lineAmount = await invoice.locator(`tr[data-line="${tiered.id}"] .line-amount`).textContent();
    expect(tierAmounts.reduce((sum, shown) => sum + cents(shown), 0n)).toBe(cents(lineAmount!));
    expect(await invoice.locator(`tr[data-line="${tiered.id}"]`).getAttribute('data-tiers-add-up')).toBe('true');
    await expect(invoice.locator(`tr[data-line="${tiered.id}"] .unit-price`).textContent()).resolves.toBe('graduated tiers, one tier below');
    await expect(invoice.locator('tr', { hasText: 'INPUT_TOKENS' }).locator('td').nth(3).textContent()).resolves.toBe('not charged');
    expect(await invoice.getByRole('button', { name: 'Finalize' }).count()).toBe(0);
    const [download] = await Promise.all([page.waitForEvent('download'), invoice.getByRole('button', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toBe(`${api.number}.csv`);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.split('\r\n')[0]).toMatch(/^invoice,status,line,description/);
    expect(csv).toContain(`${api.number},DRAFT,,Total`);
    await shot(page, 'finance-invoice');

    await page.goto(`${t.url}/console#/invoices/${encodeURIComponent('gid://marketplace/Invoice/00000000-0000-0000-0000-000000000000')}`);
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/^Could not load the invoice\. .*\(NOT_FOUND\)$/);
    problems = problems.filter((p) => !p.includes('status of 404')); // the unknown invoice's answer, if sent as a 404

    for (const refused of ['subscriptions', 'models']) {
      await page.goto(`${t.url}/console#/${refused}`);
      await page.getByRole('heading', { name: 'You may not see this page' }).waitFor();
    }
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('admin: every page is in the navigation; finalizes and voids the invoice, each after a confirmation', async () => {
    const page = await openConsole();
    await signIn(page, t.keys.admin);
    expect(await navLinks(page)).toEqual(['Subscriptions', 'Usage', 'Fine-tuning', 'Models', 'Revenue', 'Invoices']);
    await expect(page.locator('.state-empty').textContent()).resolves.toContain('No subscriptions yet');
    await page.getByRole('link', { name: 'Fine-tuning' }).click();
    await page.getByText('No fine-tune jobs yet.').waitFor(); // the platform's own organisation has trained nothing
    await page.goto(`${t.url}/console#/invoices/${encodeURIComponent(invoiceId)}`);
    const invoice = page.locator('.invoice[data-status="DRAFT"]');
    await invoice.waitFor();

    await invoice.getByRole('button', { name: 'Finalize' }).click();
    const confirmFinalize = page.getByRole('dialog');
    await confirmFinalize.getByRole('button', { name: 'Cancel' }).click();
    await expect(confirmFinalize.isVisible()).resolves.toBe(false);
    await invoice.getByRole('button', { name: 'Finalize' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Finalize invoice' }).click();
    const finalized = page.locator('.invoice[data-status="FINALIZED"]');
    await finalized.waitFor();
    const number = (await t.graphql(t.keys.admin, 'query($id: ID!) { invoice(id: $id) { number status } }', { id: invoiceId })).data!.invoice;
    expect(number.status).toBe('FINALIZED');
    await expect(page.getByRole('status').filter({ hasText: 'Finalized as' }).textContent()).resolves.toBe(`Finalized as ${number.number}.`);
    await shot(page, 'admin-invoice-finalized');

    // The finalized invoice is the vendor's revenue of last month, per model.
    const lastMonth = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() - 1, 1)).toISOString().slice(0, 7);
    const statement = (await t.graphql(t.keys.vendor, 'query($p: String!) { vendorStatement(period: $p) { lines { model { slug } gross { formatted } platformShare { formatted } netPayable { formatted } } } }', { p: lastMonth })).data!.vendorStatement;
    expect(statement.lines).toHaveLength(1);
    await page.getByRole('link', { name: 'Revenue' }).click();
    await page.getByLabel('Vendor').selectOption({ label: 'Northwind AI' });
    const line = page.locator('table.statement tr[data-model="review-sentiment"]');
    await line.waitFor();
    const cells = await line.locator('td').allTextContents();
    expect(cells).toEqual([statement.lines[0].gross.formatted, statement.lines[0].platformShare.formatted, statement.lines[0].netPayable.formatted]);
    await shot(page, 'admin-revenue');
    await page.goto(`${t.url}/console#/invoices/${encodeURIComponent(invoiceId)}`);
    await finalized.waitFor();

    await finalized.getByRole('button', { name: 'Void' }).click();
    const confirmVoid = page.getByRole('dialog');
    await confirmVoid.getByRole('button', { name: 'Void invoice' }).click();
    await expect(confirmVoid.isVisible()).resolves.toBe(true); // the reason is required
    await page.keyboard.press('Escape');
    await expect(confirmVoid.isVisible()).resolves.toBe(false);
    await finalized.getByRole('button', { name: 'Void' }).click();
    await page.getByLabel('Reason (printed on the credit note)').fill('Issued in error (console test)');
    await page.getByRole('dialog').getByRole('button', { name: 'Void invoice' }).click();
    await page.locator('.invoice[data-status="VOID"]').waitFor();
    await expect(page.locator('.credit-notes').textContent()).resolves.toContain(`${number.number}-CN1`);
    await expect(page.locator('.credit-notes').textContent()).resolves.toContain('Issued in error (console test)');
    await shot(page, 'admin-invoice-void');
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
