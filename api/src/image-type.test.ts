import { describe, expect, it } from 'vitest';
import { sniffImageType } from './image-type.js';

describe('sniffImageType', () => {
  it('when the bytes start like PNG, JPEG or WebP, then that is the type', () => {
    expect(sniffImageType(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBe('image/png');
    expect(sniffImageType(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(sniffImageType(Buffer.from('RIFF\u0000\u0000\u0000\u0000WEBPVP8 ', 'latin1'))).toBe('image/webp');
  });

  it('when the bytes are HTML, SVG, too short or empty, then no type', () => {
    for (const b of ['<html><script>alert(1)</script>', '<svg xmlns="http://www.w3.org/2000/svg"/>', '\u0089PN', '']) {
      expect(sniffImageType(Buffer.from(b, 'latin1')), b).toBeNull();
    }
  });
});
