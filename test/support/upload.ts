/** POSTs raw bytes to `/v1/files?purpose=...` over real HTTP. */
export async function uploadFile(baseUrl: string, key: string | null, purpose: string, body: Uint8Array | Buffer) {
  const response = await fetch(`${baseUrl}/v1/files?purpose=${encodeURIComponent(purpose)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}
