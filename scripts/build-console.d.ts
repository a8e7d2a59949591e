/** Bundles the console into `outDir` (emptied first); returns the asset paths index.html names. */
export function buildConsole(options: { outDir: string; minify?: boolean }): { script: string; style: string };
