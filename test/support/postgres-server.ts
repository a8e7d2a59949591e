import { Client } from 'pg';

/** Runs `work` on a connection of its own to the PostgreSQL server at `serverUrl`, closed after. */
export async function onServer<T>(serverUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates (or re-creates) database `name` on a PostgreSQL server, empty or as a copy of
 * `template`; `drop()` removes it.
 */
export async function createDatabaseOn(serverUrl: string, name: string, template?: string): Promise<{ url: string; drop(): Promise<void> }> {
  const run = (sql: string) => onServer(serverUrl, (admin) => admin.query(sql));
  await run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await run(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: async () => void (await run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)) };
}
