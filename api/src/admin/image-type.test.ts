import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { pngChunk } from '@paredao/testkit/png';
import { createImageCodec, ImageRefused, orient, sniffImageType } from './image-type.js';

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

/** A w × h picture whose pixel (x, y) is (x, y, 100, 255): where every pixel went is readable. */
function pixels(w: number, h: number): { width: number; height: number; data: Buffer } {
  const data = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([x, y, 100, 255], (y * w + x) * 4);
  return { width: w, height: h, data };
}

function pngOf(w: number, h: number): Buffer {
  const png = new PNG({ width: w, height: h });
  png.data = pixels(w, h).data;
  return PNG.sync.write(png);
}


/** A well-formed PNG of a few hundred bytes whose header declares w × h (its data is one row). */
function pngDeclaring(w: number, h: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(Buffer.alloc(1 + w * 4))), pngChunk('IEND', Buffer.alloc(0))]);
}

/** A JPEG whose EXIF says "turn 90° clockwise to show" (orientation 6). */
function jpegWithOrientation(w: number, h: number, orientation: number): Buffer {
  // "Exif\0\0", a big-endian TIFF header, one IFD with one entry: 0x0112 (Orientation), SHORT, 1.
  const exif = Buffer.from(`457869660000 4d4d002a00000008 0001 0112 0003 00000001 ${orientation.toString(16).padStart(4, '0')}0000 00000000`.replaceAll(' ', ''), 'hex');
  return jpeg.encode({ ...pixels(w, h), exifBuffer: exif } as Parameters<typeof jpeg.encode>[0], 95).data;
}

const HTML = '<html><body><script>alert(document.cookie)</script></body></html>';

describe('createImageCodec().reencode', () => {
  const codec = createImageCodec({ maxPixels: 1_000_000 });

  it('when a valid PNG, JPEG or WebP arrives, then the answer is the same picture in the same format', async () => {
    const png = await codec.reencode(pngOf(40, 30), 'image/png');
    expect(sniffImageType(png)).toBe('image/png');
    const back = PNG.sync.read(png);
    expect([back.width, back.height]).toEqual([40, 30]);
    expect(Buffer.compare(back.data, pixels(40, 30).data)).toBe(0);

    const jpg = await codec.reencode(jpeg.encode(pixels(40, 30), 95).data, 'image/jpeg');
    expect(sniffImageType(jpg)).toBe('image/jpeg');
    const j = jpeg.decode(jpg, { useTArray: true });
    expect([j.width, j.height]).toEqual([40, 30]);
    // Lossy: each channel within a few levels of the original.
    const p = (y: number, x: number) => j.data[(y * 40 + x) * 4]!;
    expect(Math.abs(p(10, 20) - 20)).toBeLessThan(8);

    // A WebP made by libwebp (the package's encoder) goes through.
    const webp = await codec.reencode(await webpOf(40, 30), 'image/webp');
    expect(sniffImageType(webp)).toBe('image/webp');
    expect(webp.toString('latin1', 12, 16)).toMatch(/^VP8/);
  });

  it('when HTML is glued after an image\'s end or hidden in a PNG text chunk (a polyglot), then none of it is stored', async () => {
    const clean = pngOf(8, 8);
    // After IEND: the whole file is parsed, and a PNG does not go on after its end.
    const glued = Buffer.concat([clean, Buffer.from(HTML)]);
    expect(await codec.reencode(glued, 'image/png').catch((e: ImageRefused) => e.reason)).toBe('invalid');
    // Inside a well-formed chunk, or after a JPEG's end: only the pixels are encoded again.
    const iend = clean.length - 12;
    const inChunk = Buffer.concat([clean.subarray(0, iend), pngChunk('tEXt', Buffer.from(`Comment\0${HTML}`, 'latin1')), clean.subarray(iend)]);
    const jpg = Buffer.concat([jpeg.encode(pixels(8, 8), 90).data, Buffer.from(HTML)]);
    for (const [polyglot, type] of [
      [inChunk, 'image/png'],
      [jpg, 'image/jpeg'],
    ] as const) {
      expect(polyglot.includes('<script>')).toBe(true);
      const out = await codec.reencode(polyglot, type);
      expect(out.includes('<script>'), type).toBe(false);
      expect(out.includes('html'), type).toBe(false);
      expect(sniffImageType(out)).toBe(type);
    }
  });

  it('when a small file declares a huge picture (a decompression bomb), then it is refused as too large before decoding', async () => {
    const bomb = pngDeclaring(30_000, 30_000);
    expect(bomb.length).toBeLessThan(1000);
    const started = Date.now();
    const err = await codec.reencode(bomb, 'image/png').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageRefused);
    expect((err as ImageRefused).reason).toBe('too_large');
    expect(Date.now() - started).toBeLessThan(200);
    // At the cap: accepted; one row more: refused.
    expect(sniffImageType(await codec.reencode(pngOf(1000, 1000), 'image/png'))).toBe('image/png');
    expect(await codec.reencode(pngDeclaring(1000, 1001), 'image/png').catch((e: ImageRefused) => e.reason)).toBe('too_large');

    // JPEG: the frame header (SOF0) of a small file rewritten to 20000 × 20000.
    const jpg = jpeg.encode(pixels(16, 16), 90).data;
    const sof = jpg.indexOf(Buffer.from([0xff, 0xc0]));
    jpg.writeUInt16BE(20_000, sof + 5);
    jpg.writeUInt16BE(20_000, sof + 7);
    expect(await codec.reencode(jpg, 'image/jpeg').catch((e: ImageRefused) => e.reason)).toBe('too_large');

    // WebP: an extended (VP8X) header whose canvas is 16384 × 16384.
    const vp8x = Buffer.alloc(10);
    vp8x.writeUIntLE(16_383, 4, 3);
    vp8x.writeUIntLE(16_383, 7, 3);
    const webpBomb = Buffer.concat([Buffer.from('RIFF'), Buffer.from([30, 0, 0, 0]), Buffer.from('WEBPVP8X'), Buffer.from([10, 0, 0, 0]), vp8x, Buffer.alloc(8)]);
    expect(await codec.reencode(webpBomb, 'image/webp').catch((e: ImageRefused) => e.reason)).toBe('too_large');
  });

  it('when the file only starts like an image, or its header names another format, then it is refused as invalid', async () => {
    const png = pngOf(8, 8);
    const truncated = png.subarray(0, 40);
    const corrupt = Buffer.from(png);
    corrupt.fill(0x41, 41, 60); // inside IDAT: the CRC no longer matches
    const badWebp = (await webpOf(16, 16)).subarray(0, 34); // the header stays, the compressed data is cut
    for (const [bytes, type] of [
      [truncated, 'image/png'],
      [corrupt, 'image/png'],
      [png, 'image/jpeg'],
      [Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(HTML)]), 'image/jpeg'],
      [badWebp, 'image/webp'],
    ] as const) {
      const err = await codec.reencode(bytes, type).catch((e: unknown) => e);
      expect(err, `${type} ${bytes.length}`).toBeInstanceOf(ImageRefused);
      expect((err as ImageRefused).reason).toBe('invalid');
    }
    // HTML behind a WebP signature: the header parser reads a size out of the text, which is refused
    // as too large or as undecodable; either way it is refused.
    await expect(codec.reencode(Buffer.from(`RIFF\u0000\u0000\u0000\u0000WEBPVP8 ${HTML}`, 'latin1'), 'image/webp')).rejects.toBeInstanceOf(ImageRefused);
  });

  it('when uploads arrive together, then each gets its own answer, a refused one holding up none', async () => {
    const results = await Promise.allSettled([
      codec.reencode(pngOf(20, 10), 'image/png'),
      codec.reencode(pngDeclaring(30_000, 30_000), 'image/png'),
      codec.reencode(jpeg.encode(pixels(12, 24), 90).data, 'image/jpeg'),
      codec.reencode(pngOf(8, 8).subarray(0, 40), 'image/png'),
      codec.reencode(await webpOf(16, 8), 'image/webp'),
    ]);
    expect(results.map((r) => (r.status === 'fulfilled' ? sniffImageType(r.value) : (r.reason as ImageRefused).reason))).toEqual(['image/png', 'too_large', 'image/jpeg', 'invalid', 'image/webp']);
  });

  it('when a JPEG says by EXIF to be turned, then the pixels are turned (the EXIF is dropped)', async () => {
    const out = await codec.reencode(jpegWithOrientation(40, 20, 6), 'image/jpeg');
    const j = jpeg.decode(out, { useTArray: true });
    expect([j.width, j.height]).toEqual([20, 40]);
    // Turned clockwise: the source's bottom-left corner (x 0, y 19) is now at the top left.
    expect(Math.abs(j.data[0]! - 0)).toBeLessThan(8);
    expect(Math.abs(j.data[1]! - 19)).toBeLessThan(8);
    expect(out.includes('Exif')).toBe(false);
  });
});

describe('orient', () => {
  it('when each EXIF orientation is applied, then the corners land where the TIFF specification says', () => {
    const src = pixels(3, 2);
    // The source pixel that ends up at the output's top-left corner, and the output's size.
    const expected: Record<number, [number, number, number, number]> = {
      1: [0, 0, 3, 2],
      2: [2, 0, 3, 2],
      3: [2, 1, 3, 2],
      4: [0, 1, 3, 2],
      5: [0, 0, 2, 3],
      6: [0, 1, 2, 3],
      7: [2, 1, 2, 3],
      8: [2, 0, 2, 3],
    };
    for (const [o, [x, y, w, h]] of Object.entries(expected)) {
      const out = orient(src, Number(o));
      expect([out.data[0], out.data[1], out.width, out.height], `orientation ${o}`).toEqual([x, y, w, h]);
    }
  });
});

async function webpOf(w: number, h: number): Promise<Buffer> {
  const enc = await import('@jsquash/webp/encode.js');
  const wasmBinary = await readFile(createRequire(import.meta.url).resolve('@jsquash/webp/codec/enc/webp_enc_simd.wasm'));
  await (enc.init as (o: { wasmBinary: Buffer }) => Promise<unknown>)({ wasmBinary });
  const encode = enc.default as (img: { width: number; height: number; data: Uint8ClampedArray }) => Promise<ArrayBuffer>;
  const { data } = pixels(w, h);
  return Buffer.from(await encode({ width: w, height: h, data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length) }));
}
