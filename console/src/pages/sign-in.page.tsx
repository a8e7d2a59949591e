import { useState } from 'preact/hooks';
import { graphql, GraphQLRequestError } from '../graphql-client';
import { Viewer, VIEWER_QUERY } from '../viewer';

/** The sign-in form: an API key, checked with `viewer` before it is kept for the tab. */
export function SignInPage({ onSignedIn, notice }: { onSignedIn: (key: string, viewer: Viewer) => void; notice?: string }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const trimmed = key.trim();
    if (!trimmed) {
      setError('Enter an API key.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const data = await graphql<{ viewer: Viewer }>(trimmed, VIEWER_QUERY);
      onSignedIn(trimmed, data.viewer);
    } catch (failure) {
      setError(failure instanceof GraphQLRequestError && failure.code === 'UNAUTHENTICATED'
        ? 'This key is not valid: it is malformed, unknown or revoked.'
        : `Could not sign in: ${failure instanceof Error ? failure.message : String(failure)}`);
      setBusy(false);
    }
  };
  return (
    <main class="sign-in" id="main">
      <h1>Marketplace console</h1>
      <p>Sign in with an API key. It is kept in this tab only (session storage) and sent only to this server's GraphQL API.</p>
      {notice && <p class="state state-notice" role="status">{notice}</p>}
      {/* NOTE: no name on the key field and no GET: the key can never end up in a URL. */}
      <form method="post" onSubmit={submit} noValidate>
        <label for="api-key">API key</label>
        <input id="api-key" type="password" autocomplete="off" spellcheck={false} required
          value={key} onInput={(e) => setKey((e.target as HTMLInputElement).value)}
          aria-invalid={error ? 'true' : undefined} aria-describedby={error ? 'sign-in-error' : undefined} />
        <button type="submit" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
      {error && <p id="sign-in-error" class="state state-error" role="alert">{error}</p>}
    </main>
  );
}
