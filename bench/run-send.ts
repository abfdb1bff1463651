import { benchSend } from './send';

/** `npx tsx bench/run-send.ts --n N`: the send benchmark alone. */
const nIndex = process.argv.indexOf('--n');
await benchSend(nIndex > 0 ? Number(process.argv[nIndex + 1]) : 20_000);
