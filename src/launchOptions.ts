/**
 * What `lguest-vm run` and launch.json both take, read once here so the two take the same values: the
 * Guest's wall clock at time 0 (`--epoch`, `epoch`). Each caller words its own message around the phrases below.
 */

/** The Guest's clock is a signed 32-bit time_t: the epoch must leave it room. */
export const EPOCH_LIMIT = 2 ** 31;

/** What an epoch may be, for "wants ..." and "must be ..." messages. */
export const EPOCH_WANTED = 'an ISO 8601 time after 1970 or seconds since 1970';

/** Why an epoch at or past EPOCH_LIMIT is refused, after "... is". */
export const EPOCH_TOO_LATE = "past 2038-01-19T03:14:07Z, where the Guest's 32-bit clock ends";

/**
 * Seconds since 1970 from an ISO 8601 time or a whole number of seconds (digits, or in launch.json a number);
 * 'wrong' when it is neither, 'too late' when the Guest's clock could not hold it.
 */
export function parseEpoch(value: string | number): number | 'wrong' | 'too late' {
  const seconds = typeof value === 'number' ? (Number.isInteger(value) ? value : NaN)
    : /^\d+$/.test(value) ? Number(value) : Math.floor(Date.parse(value) / 1000);
  if (Number.isNaN(seconds) || seconds < 0) return 'wrong';
  return seconds >= EPOCH_LIMIT ? 'too late' : seconds;
}
