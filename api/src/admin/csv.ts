/**
 * One CSV field, quoted. A field a spreadsheet would read as a formula (it starts with =, +, -, @, a
 * tab or a carriage return) gets a leading apostrophe first, as OWASP's CSV injection page advises:
 * a participant named `=HYPERLINK(...)` shows as text instead of running in the producer's sheet.
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replaceAll('"', '""')}"`;
}
