/**
 * Downloads a file of the API that needs the key (CSV exports): fetched with the Authorization
 * header (the key never goes in the URL), then saved through a temporary blob: link. Returns the
 * file name the server gave; throws with the server's message when it refuses.
 */
export async function downloadWithKey(apiKey: string, url: string, fallbackName: string): Promise<string> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${apiKey}` }, credentials: 'omit', cache: 'no-store' });
  if (!response.ok) {
    const body = await response.json().catch(() => null) as { error?: { message?: string } } | null;
    throw new Error(body?.error?.message ?? `the server answered ${response.status}`);
  }
  const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const href = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = href;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
  return name;
}
