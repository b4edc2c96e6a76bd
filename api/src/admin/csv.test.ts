import { describe, expect, it } from 'vitest';
import { csvField } from './csv.js';

describe('csvField', () => {
  it('when a value starts with a formula character, then a spreadsheet sees text', () => {
    for (const v of ['=1+1', '+SUM(A1)', '-2+3', '@cmd', '\tx', '\rx', '=HYPERLINK("http://evil.example","x")']) {
      expect(csvField(v), JSON.stringify(v)).toMatch(/^"'/);
    }
  });

  it('when a value is ordinary, then it is only quoted, with quotes doubled', () => {
    expect(csvField('Ana Paula')).toBe('"Ana Paula"');
    expect(csvField('a "b" c')).toBe('"a ""b"" c"');
    expect(csvField('x=1')).toBe('"x=1"');
  });
});
