/**
 * Dates as the rules see them: a calendar day (YYYY-MM-DD) in the configured time zone
 * (configuration `timeZone`, Europe/Amsterdam by default). Every "today" in the kiosk and the back
 * office comes from here, so a card expiring today is valid everywhere until local midnight.
 */
export const DEFAULT_TIME_ZONE = 'Europe/Amsterdam';

/** YYYY-MM-DD of `at` in `timeZone` (en-CA formats dates as ISO). */
export function localDate(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** The first day of a validity given as a date or a timestamp. */
export function dayOf(dateOrTimestamp: string): string {
  return dateOrTimestamp.slice(0, 10);
}
