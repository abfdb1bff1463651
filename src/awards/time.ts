/**
 * Deadlines are instants shown in the programme's IANA time zone, whatever the server's
 * own zone. Intl does the zone arithmetic, so no date library is needed.
 */

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock fields of `instant` in `zone`. */
function wallClock(instant: Date, zone: string): Record<string, string> {
  return Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
}

/** The zone's offset from UTC at `instant`, in milliseconds. */
function offsetAt(instant: Date, zone: string): number {
  const parts = wallClock(instant, zone);
  const asUtc = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

const WITH_OFFSET = /(Z|[+-]\d{2}:?\d{2})$/i;
const LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/**
 * An ISO 8601 instant ("2026-12-31T23:59:00Z", "…+01:00"), or a local date-time without
 * offset ("2026-12-31T23:59"), which is read in `zone`. Null when unreadable.
 */
export function parseInstant(value: string, zone: string): Date | null {
  const text = value.trim();
  if (WITH_OFFSET.test(text)) {
    const date = new Date(text);
    return Number.isNaN(date.getTime()) ? null : date;
  }
  const m = LOCAL.exec(text);
  if (!m) return null;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
  // Two passes settle the offset across a daylight-saving change.
  let guess = wall - offsetAt(new Date(wall), zone);
  guess = wall - offsetAt(new Date(guess), zone);
  return new Date(guess);
}

/** "2026-12-31T23:59": the instant on the zone's clock, as a datetime-local input holds it (parseInstant reads it back). */
export function localDateTime(instant: Date, zone: string): string {
  const p = wallClock(instant, zone);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

/** Every IANA zone this runtime knows (UTC included), for a select. */
export function timeZones(): string[] {
  const zones = Intl.supportedValuesOf('timeZone');
  return zones.includes('UTC') ? zones : ['UTC', ...zones];
}

/** "Thursday 31 December 2026, 23:59 GMT" in the programme's zone. */
export function formatInZone(instant: Date, zone: string): string {
  const date = new Intl.DateTimeFormat('en-GB', { timeZone: zone, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(instant);
  const time = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' }).format(instant);
  return `${date}, ${time}`;
}

export type ProgrammeState = 'upcoming' | 'open' | 'closed';

export function programmeState(opensAt: Date, closesAt: Date, now = new Date()): ProgrammeState {
  if (now < opensAt) return 'upcoming';
  if (now >= closesAt) return 'closed';
  return 'open';
}
