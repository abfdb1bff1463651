// For the knex CLI; the server and `npm run migrate` use the same settings from src/db.ts.
import 'dotenv/config';
import { knexConfig } from './src/db';

export default knexConfig({
  databaseUrl: process.env.DATABASE_URL || null,
  dataDir: process.env.DATA_DIR || './data',
});
