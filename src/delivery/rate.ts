import type { Db } from '../db';
import { sleep } from './lanes';
import { reserveSendSlots } from './queries';

/**
 * SEND_RATE across every process: reserves `count` slots on the shared clock and answers a
 * wait for the slot of message `index`. With no rate set, nothing waits.
 */
export async function sendSlots(db: Db, perSecond: number, count: number, now: Date): Promise<(index: number) => Promise<void>> {
  if (!(perSecond > 0)) return () => Promise.resolve();
  const slotAt = slotClock(await reserveSendSlots(db, count, perSecond, now), perSecond);
  return (index) => sleep(slotAt(index).getTime() - Date.now());
}

/**
 * The times of `count` slots reserved on the same shared clock, for mail that waits in a
 * queue rather than in a sender's memory (an import's confirmations: each job's run_after).
 * Takes the caller's transaction, so the slots and the jobs commit together.
 */
export async function reserveSlotTimes(conn: Db, perSecond: number, count: number, now: Date): Promise<Date[]> {
  if (!(perSecond > 0) || count === 0) return Array.from({ length: count }, () => now);
  const slotAt = slotClock(await reserveSendSlots(conn, count, perSecond, now), perSecond);
  return Array.from({ length: count }, (_, index) => slotAt(index));
}

/** Slot `index` of a reservation that starts at `start`: one every 1/perSecond seconds. */
const slotClock = (start: Date, perSecond: number) => (index: number) => new Date(start.getTime() + (index * 1000) / perSecond);
