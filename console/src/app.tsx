import { useEffect, useLayoutEffect, useState } from 'preact/hooks';
import { ErrorMessage, Loading } from './components/states';
import { graphql, GraphQLRequestError } from './graphql-client';
import { mayOpen, PageDef, pageArgOfHash, pageIdOfHash, PAGES, pagesFor } from './pages';
import { FineTuneJobPage } from './pages/fine-tune-job.page';
import { FineTuneJobsPage } from './pages/fine-tune-jobs.page';
import { InvoiceDetailPage } from './pages/invoice-detail.page';
import { InvoicesPage } from './pages/invoices.page';
import { ModelsPage } from './pages/models.page';
import { RevenuePage } from './pages/revenue.page';
import { SignInPage } from './pages/sign-in.page';
import { SubscriptionsPage } from './pages/subscriptions.page';
import { UsageAudience, UsagePage } from './pages/usage.page';
import { forgetKey, storedKey, storeKey } from './session';
import { Viewer, VIEWER_QUERY } from './viewer';

type Session =
  | { status: 'signed-out'; notice?: string }
  | { status: 'checking'; key: string }
  | { status: 'failed'; key: string; error: GraphQLRequestError }
  | { status: 'signed-in'; key: string; viewer: Viewer };

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const onChange = () => setHash(location.hash);
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return hash;
}

/** The console: sign-in, then the pages the key's roles may open, one at a time by #/route. */
export function App() {
  const [session, setSession] = useState<Session>(() => {
    const key = storedKey();
    return key ? { status: 'checking', key } : { status: 'signed-out' };
  });
  useEffect(() => {
    if (session.status !== 'checking') return;
    graphql<{ viewer: Viewer }>(session.key, VIEWER_QUERY).then(
      (data) => setSession({ status: 'signed-in', key: session.key, viewer: data.viewer }),
      (error: GraphQLRequestError) => {
        if (error.code === 'UNAUTHENTICATED') {
          forgetKey();
          setSession({ status: 'signed-out', notice: 'The saved key is no longer valid; sign in again.' });
        } else {
          setSession({ status: 'failed', key: session.key, error });
        }
      },
    );
  }, [session]);

  const signOut = () => {
    forgetKey();
    history.replaceState(null, '', location.pathname);
    setSession({ status: 'signed-out', notice: 'Signed out.' });
  };

  if (session.status === 'signed-out') {
    return <SignInPage notice={session.notice} onSignedIn={(key, viewer) => { storeKey(key); setSession({ status: 'signed-in', key, viewer }); }} />;
  }
  if (session.status === 'checking') return <main id="main"><Loading what="your account" /></main>;
  if (session.status === 'failed') {
    return (
      <main id="main">
        <ErrorMessage error={session.error} what="your account" />
        <button type="button" onClick={() => setSession({ status: 'checking', key: session.key })}>Retry</button>{' '}
        <button type="button" onClick={signOut}>Sign out</button>
      </main>
    );
  }
  return <Shell apiKey={session.key} viewer={session.viewer} onSignOut={signOut} />;
}

function Shell({ apiKey, viewer, onSignOut }: { apiKey: string; viewer: Viewer; onSignOut: () => void }) {
  const hash = useHash();
  const visible = pagesFor(viewer.roles);
  const requested = pageIdOfHash(hash);
  const page: PageDef | undefined = requested ? PAGES.find((p) => p.id === requested) : visible[0];
  // NOTE: the default page's route goes into the URL before the shell is painted (a layout
  // effect, in the same task as the render): after a plain effect the shell could be seen, and a
  // link copied, with no route yet (a browser test caught the URL still bare after sign-in)
  useLayoutEffect(() => {
    if (!requested && visible[0]) history.replaceState(null, '', `#/${visible[0].id}`);
  }, [hash]);
  useEffect(() => {
    document.getElementById('page-title')?.focus();
    document.title = `${page ? page.title : 'Not found'} · Marketplace console`;
  }, [hash]);

  return (
    <>
      <a class="skip-link" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('page-title')?.focus(); }}>Skip to content</a>
      <header class="top">
        <span class="brand">Marketplace console</span>
        <nav aria-label="Pages">
          <ul>
            {visible.map((p) => (
              <li><a href={`#/${p.id}`} aria-current={page?.id === p.id ? 'page' : undefined}>{p.title}</a></li>
            ))}
          </ul>
        </nav>
        <span class="who" data-roles={viewer.roles.join(',')}>
          {viewer.organization.name} <span class="muted">· {viewer.organization.kind.toLowerCase()} · {viewer.roles.join(', ')}</span>
        </span>
        <button type="button" class="sign-out" onClick={onSignOut}>Sign out</button>
      </header>
      <main id="main">
        {!page ? <Refused title="This page does not exist" why={`There is no page "${requested}".`} />
          : !mayOpen(page, viewer.roles)
            ? <Refused title="You may not see this page" why={`${page.title} needs the role ${page.roles.join(' or ')}; this key has ${viewer.roles.join(', ')}.`} />
            : <PageBody page={page} arg={pageArgOfHash(hash)} apiKey={apiKey} viewer={viewer} />}
      </main>
    </>
  );
}

function PageBody({ page, arg, apiKey, viewer }: { page: PageDef; arg: string | null; apiKey: string; viewer: Viewer }) {
  const admin = viewer.roles.includes('ADMIN');
  switch (page.id) {
    case 'subscriptions': return <SubscriptionsPage apiKey={apiKey} />;
    case 'usage': return <UsagePage apiKey={apiKey} audience={usageAudience(viewer)} mayExport={admin || viewer.roles.includes('FINANCE')} />;
    case 'models': return <ModelsPage apiKey={apiKey} vendorId={admin ? null : viewer.organization.id} />;
    case 'revenue': return <RevenuePage apiKey={apiKey} pickVendor={admin} />;
    case 'fine-tuning': return arg ? <FineTuneJobPage key={arg} apiKey={apiKey} jobId={arg} /> : <FineTuneJobsPage apiKey={apiKey} />;
    default: return arg
      ? <InvoiceDetailPage key={arg} apiKey={apiKey} invoiceId={arg} mayChange={admin} />
      : <InvoicesPage apiKey={apiKey} showOrganization={admin} />;
  }
}

function usageAudience(viewer: Viewer): UsageAudience {
  if (viewer.roles.includes('ADMIN')) return 'all';
  return viewer.roles.includes('VENDOR') ? 'vendor' : 'own';
}

function Refused({ title, why }: { title: string; why: string }) {
  return (
    <section aria-labelledby="page-title" class="refused" data-state="refused">
      <h1 id="page-title" tabIndex={-1}>{title}</h1>
      <p role="alert">{why}</p>
      <p><a href="#/">Go to your first page</a></p>
    </section>
  );
}
