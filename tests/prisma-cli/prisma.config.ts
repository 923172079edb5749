// Prisma 6.19 config for running migrate commands through the WASM schema engine (the tests'
// copy of ../shared/prisma-cli; see README.md here).
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';

// Discrete fields, not connectionString: adapter-pg builds the shadow database connection as
// {...config, database: shadowName}, and a connectionString would override that `database`,
// so the shadow-database steps would run in the main database.
const u = new URL(process.env.DATABASE_URL!);
const pgConfig = {
  host: u.hostname,
  port: Number(u.port || 5432),
  user: decodeURIComponent(u.username),
  password: u.password ? decodeURIComponent(u.password) : undefined,
  database: u.pathname.slice(1),
  idleTimeoutMillis: 50,
};

// adapter-pg 6.19 cannot read pg_catalog's "char" (OID 18) and "name" (OID 19) columns, which the
// schema engine queries (upstream issue prisma/orm#27403): report both as text.
const patched = new WeakSet<object>();
function patchAdapter<T extends object>(adapter: T): T {
  let proto: any = adapter;
  while (proto && !Object.prototype.hasOwnProperty.call(proto, 'performIO')) proto = Object.getPrototypeOf(proto);
  if (proto && !patched.has(proto)) {
    patched.add(proto);
    const orig = proto.performIO;
    proto.performIO = async function (query: unknown) {
      const res = await orig.call(this, query);
      for (const f of res?.fields ?? []) if (f.dataTypeID === 18 || f.dataTypeID === 19) f.dataTypeID = 25;
      return res;
    };
  }
  return adapter;
}
class PrismaPgForMigrate extends PrismaPg {
  async connect() { return patchAdapter(await super.connect()); }
  async connectToShadowDb() { return patchAdapter(await super.connectToShadowDb()); }
}

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  // `?schema=` selects the working schema, as in the URL Prisma reads without an adapter.
  adapter: async () => new PrismaPgForMigrate(pgConfig, { schema: u.searchParams.get('schema') ?? undefined }),
  // The project is the current folder (prisma-guard runs its commands in the project root), not
  // this config's folder: resolve against the working directory.
  schema: path.resolve(process.env.PRISMA_SCHEMA ?? 'prisma/schema.prisma'),
  migrations: { path: path.resolve(process.env.PRISMA_MIGRATIONS ?? 'prisma/migrations') },
});
