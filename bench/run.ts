import { benchClickLinks } from './click-links';
import { benchDigestFeedback } from './digest-feedback';
import { benchDigestRender } from './digest-render';
import { benchImport } from './import-subscribers';
import { benchLeaderboard } from './leaderboard';
import { benchScale } from './scale';
import { benchSend } from './send';
import { benchSmtpTransport } from './smtp-transport';
import { benchSubscribeTiming } from './subscribe-timing';

/**
 * `npm run bench`: every benchmark in bench/, each printing its figures. `--n N` sets the
 * number of subscribers for all of them (defaults: 100,000 for import and rendering,
 * 20,000 for the end-to-end send, 3,000 requests per route for subscribe timing, 5,000
 * entries for the leaderboard, 100,000 for bounce counts, 1,000,000 subscribers on PostgreSQL for
 * scale); `--only import|render|send|transport|timing|leaderboard|bounces|scale|clicks` runs one;
 * `--topics K` makes the send a digest of K topics (one email per reader).
 */
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const n = arg('--n') ? Number(arg('--n')) : undefined;
const only = arg('--only');

if (!only || only === 'import') await benchImport(n ?? 100_000);
if (!only || only === 'render') await benchDigestRender(n ?? 100_000);
if (!only || only === 'send') await benchSend(n ?? 20_000, arg('--topics') ? Number(arg('--topics')) : 1);
if (!only || only === 'transport') await benchSmtpTransport(n ?? 4000);
if (!only || only === 'timing') await benchSubscribeTiming(n ?? 3000);
if (!only || only === 'leaderboard') await benchLeaderboard(n ?? 5_000);
if (!only || only === 'bounces') await benchDigestFeedback(n ?? 100_000);
if (!only || only === 'clicks') await benchClickLinks(n ?? 100_000);
// The full run keeps scale at 100,000 so `npm run bench` stays minutes, not an hour.
if (!only || only === 'scale') await benchScale(n ?? (only ? 1_000_000 : 100_000));
