import { startTestServer, TestServer } from '../support/test-server';
jest.setTimeout(600_000);
test('diag', async () => {
  const t: TestServer = await startTestServer();
  const res = await t.graphql(t.keys.partner, '{ models(first: 1) { nodes { id } } }');
  const modelId = res.data!.models.nodes[0].id;
  const post = (q: string) => fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t.keys.partner}` }, body: JSON.stringify({ query: q }) }).then(async (r) => ({ status: r.status, body: await r.text() }));
  const cases: Record<string, string> = {
    'depth 826': `{ models { nodes { ${'latestVersion { model { '.repeat(826)}id${' } }'.repeat(826)} } } }`,
    'depth 2000': `{ models { nodes { ${'latestVersion { model { '.repeat(2000)}id${' } }'.repeat(2000)} } } }`,
    'cycle 376': `{ ...F0 } ${Array.from({ length: 376 }, (_, i) => `fragment F${i} on Query { viewer { id } ...F${(i + 1) % 376} }`).join(' ')}`,
    '831 models aliases': `{ ${Array.from({ length: 831 }, (_, i) => `m${i}: models { totalCount }`).join(' ')} }`,
    '3000 node aliases': `{ ${Array.from({ length: 3000 }, (_, i) => `a${i}: node(id: "${modelId}") { id }`).join(' ')} }`,
    '4 MB': `{ viewer { id } } # ${'x'.repeat(4_000_000)}`,
    '4497 directives': `{ viewer ${'@include(if: true) '.repeat(4497)} { id } }`,
  };
  for (const [name, q] of Object.entries(cases)) {
    for (let rep = 0; rep < 2; rep++) {
      let maxGap = 0; let last = performance.now();
      const timer = setInterval(() => { const now = performance.now(); maxGap = Math.max(maxGap, now - last); last = now; }, 5);
      const started = performance.now();
      const r = await post(q);
      clearInterval(timer);
      console.log(`${name}: ${r.status} ${r.body.slice(0, 120)} in ${(performance.now() - started).toFixed(0)} ms; longest event-loop gap ${maxGap.toFixed(0)} ms`);
    }
  }
  await t.stop();
});
