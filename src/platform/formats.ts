/**
 * String formats checked stricter than ajv-formats checks them: a date the calendar has and a
 * time a JavaScript Date can hold. ajv-formats accepts `2030-06-30T23:59:60Z` (a leap second,
 * which Date cannot represent) and, in its fast mode, `2030-02-30`, which Date rolls over to
 * March 2; a handler would store the wrong day or throw a RangeError.
 */
export const strictFormats = {
  date: { type: 'string', validate: isCalendarDate },
  'date-time': { type: 'string', validate: isDateTime },
} as const;

const dateTime =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

/** An RFC 3339 date-time whose date exists, with no leap second. */
export function isDateTime(value: string): boolean {
  const parts = dateTime.exec(value);
  if (!parts) {
    return false;
  }
  const [year, month, day, hour, minute, second, offsetHour, offsetMinute] = parts
    .slice(1)
    .map((part) => Number(part ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return (
    isDay(year, month, day) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetHour <= 23 &&
    offsetMinute <= 59
  );
}

/** An RFC 3339 full-date (`2030-02-28`) that the calendar has. */
export function isCalendarDate(value: string): boolean {
  const parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  return parts !== null && isDay(Number(parts[1]), Number(parts[2]), Number(parts[3]));
}

function isDay(year: number, month: number, day: number): boolean {
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth;
}
