import { benchDigestRender } from './digest-render';
import { benchImport } from './import-subscribers';

/** `npm run bench`: every benchmark in bench/, each printing its figures. `--n N` sets the size. */
const nIndex = process.argv.indexOf('--n');
const n = nIndex > 0 ? Number(process.argv[nIndex + 1]) : undefined;

await benchImport(n ?? 100_000);
await benchDigestRender(n ?? 100_000);
