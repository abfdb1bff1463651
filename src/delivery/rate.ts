import type { Db } from '../db';
import { sleep } from './lanes';
import { reserveSendSlots } from './queries';

/**
 * SEND_RATE across every process: reserves `count` slots on the shared clock and answers a
 * wait for the slot of message `index`. With no rate set, nothing waits.
 */
export async function sendSlots(db: Db, perSecond: number, count: number, now: Date): Promise<(index: number) => Promise<void>> {
  if (!(perSecond > 0)) return () => Promise.resolve();
  const start = (await reserveSendSlots(db, count, perSecond, now)).getTime();
  return (index) => sleep(start + (index * 1000) / perSecond - Date.now());
}
