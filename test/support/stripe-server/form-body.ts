/**
 * Decodes the SDK's `application/x-www-form-urlencoded` bodies (`a[b][0][c]=1`) into nested
 * objects and arrays, as Stripe's API does. Values stay strings; the store coerces the fields
 * it knows to be integers or booleans.
 */
export type FormValue = string | FormValue[] | { [key: string]: FormValue };

export function decodeFormBody(body: string): Record<string, FormValue> {
  const root: Record<string, FormValue> = {};
  for (const pair of new URLSearchParams(body)) assign(root, pathOf(pair[0]), pair[1]);
  return root;
}

function pathOf(name: string): string[] {
  const first = name.indexOf('[');
  if (first < 0) return [name];
  return [name.slice(0, first), ...[...name.slice(first).matchAll(/\[([^\]]*)\]/g)].map((m) => m[1])];
}

function assign(target: any, path: string[], value: string): void {
  let node = target;
  path.forEach((key, i) => {
    const last = i === path.length - 1;
    const index = key === '' ? (node as unknown[]).length : key;
    if (last) {
      node[index] = value;
      return;
    }
    if (node[index] === undefined) node[index] = /^\d*$/.test(path[i + 1]) ? [] : {};
    node = node[index];
  });
}
