import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { imageSize } from 'image-size';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

export type ImageType = 'image/png' | 'image/jpeg' | 'image/webp';

/** The image type a file's first bytes say it is (PNG, JPEG, WebP), or null. */
export function sniffImageType(bytes: Buffer): ImageType | null {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  return null;
}

/**
 * At most 6 megapixels (3000 × 2000): a participant's photo is shown a few hundred pixels wide, and
 * decoding holds about 8 bytes a pixel in the api process (≈ 50 MB here) and its event loop for about
 * a second, so a small file that declares a huge canvas (a decompression bomb) is refused before
 * any pixel is allocated.
 */
export const IMAGE_MAX_PIXELS = 6_000_000;

/** Why an upload was refused: `too_large` (the pixel cap) or `invalid` (does not decode as its type). */
export class ImageRefused extends Error {
  constructor(
    readonly reason: 'too_large' | 'invalid',
    message: string,
  ) {
    super(message);
    this.name = 'ImageRefused';
  }
}

interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface ImageCodec {
  /**
   * The upload decoded to pixels and encoded again in its own format. Nothing of the original file
   * survives but its pixels: bytes after the image's end (an HTML page glued to a PNG, a polyglot),
   * metadata chunks, EXIF (camera, GPS) and colour profiles are gone. A JPEG's EXIF orientation is
   * applied to the pixels first, since the EXIF that told browsers to turn it is dropped.
   */
  reencode(bytes: Buffer, type: ImageType): Promise<Buffer>;
}

type WasmDecode = (data: ArrayBuffer) => Promise<{ width: number; height: number; data: Uint8ClampedArray }>;
type WasmEncode = (data: { width: number; height: number; data: Uint8ClampedArray }, opts: { quality: number }) => Promise<ArrayBuffer>;

/**
 * Emscripten's loader fetches its .wasm by URL, which Node's fetch cannot do for a file: each module
 * is handed its bytes instead (Module.wasmBinary, which the packages' types leave out).
 */
async function wasmInit(init: unknown, wasmBinary: Buffer): Promise<void> {
  await (init as (opts: { wasmBinary: Buffer }) => Promise<unknown>)({ wasmBinary });
}

/**
 * PNG: pngjs (pure JavaScript). JPEG: mozjpeg compiled to WebAssembly (@jsquash/jpeg) decodes, jpeg-js
 * (pure JavaScript) encodes: measured on a 3000 × 2000 photo, jpeg-js alone held over 200 MB while
 * decoding, mozjpeg's decoder a tenth of that, and mozjpeg's encoder (trellis quantisation) took three
 * times as long as jpeg-js's. WebP: libwebp as WebAssembly (@jsquash/webp). No native binary to
 * download or build for the api image. Uploads are re-encoded one at a time per process, so at most
 * one picture's pixels are held.
 */
export function createImageCodec({ maxPixels = IMAGE_MAX_PIXELS, quality = 85 } = {}): ImageCodec {
  const binaries = new Map<string, Promise<Buffer>>();
  const binary = (file: string) => {
    let b = binaries.get(file);
    if (!b) binaries.set(file, (b = readFile(createRequire(import.meta.url).resolve(file))));
    return b;
  };
  let queue: Promise<unknown> = Promise.resolve();

  // A WebAssembly memory grows to the largest picture it held and never shrinks (over 60 MB after a
  // 3000 × 2000 JPEG), so each upload gets fresh instances: the last one's memory is then garbage.
  async function jpegDecoder(): Promise<WasmDecode> {
    const dec = await import('@jsquash/jpeg/decode.js');
    await wasmInit(dec.init, await binary('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm'));
    return dec.default as WasmDecode;
  }

  async function webpDecoder(): Promise<WasmDecode> {
    const dec = await import('@jsquash/webp/decode.js');
    await wasmInit(dec.init, await binary('@jsquash/webp/codec/dec/webp_dec.wasm'));
    return dec.default as WasmDecode;
  }

  async function webpEncoder(): Promise<WasmEncode> {
    const enc = await import('@jsquash/webp/encode.js');
    // encode.js picks its SIMD or plain build by feature detection, and the binary handed to it must
    // be that build's: Node has had WebAssembly SIMD for years, so it is the SIMD one.
    await wasmInit(enc.init, await binary('@jsquash/webp/codec/enc/webp_enc_simd.wasm'));
    return enc.default as WasmEncode;
  }

  const arrayBuffer = (b: Buffer) => b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;
  const rgba = (img: { width: number; height: number; data: Uint8ClampedArray }): Rgba => ({ width: img.width, height: img.height, data: new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.length) });

  async function decode(bytes: Buffer, type: ImageType): Promise<Rgba> {
    switch (type) {
      case 'image/png': {
        const png = PNG.sync.read(bytes);
        return { width: png.width, height: png.height, data: png.data };
      }
      case 'image/jpeg':
        return rgba(await (await jpegDecoder())(arrayBuffer(bytes)));
      case 'image/webp':
        return rgba(await (await webpDecoder())(arrayBuffer(bytes)));
    }
  }

  async function encode(img: Rgba, type: ImageType): Promise<Buffer> {
    switch (type) {
      case 'image/png': {
        const png = new PNG({ width: img.width, height: img.height });
        png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length);
        return PNG.sync.write(png, { deflateLevel: 9 });
      }
      case 'image/jpeg':
        return jpeg.encode({ width: img.width, height: img.height, data: img.data as Buffer }, quality).data;
      case 'image/webp': {
        const encode = await webpEncoder();
        const data = new Uint8ClampedArray(img.data.buffer, img.data.byteOffset, img.data.length);
        return Buffer.from(await encode({ width: img.width, height: img.height, data }, { quality }));
      }
    }
  }

  async function reencode(bytes: Buffer, type: ImageType): Promise<Buffer> {
    // The declared size, read from the headers alone, before anything is decoded.
    let declared: ReturnType<typeof imageSize>;
    try {
      declared = imageSize(bytes);
    } catch {
      throw new ImageRefused('invalid', 'not a readable image');
    }
    const expected = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' }[type];
    if (declared.type !== expected || !(declared.width > 0) || !(declared.height > 0)) throw new ImageRefused('invalid', `not a ${expected} image`);
    if (declared.width * declared.height > maxPixels) {
      throw new ImageRefused('too_large', `${declared.width}×${declared.height} is more than ${maxPixels} pixels`);
    }
    let img: Rgba;
    try {
      img = await decode(bytes, type);
    } catch (err) {
      throw new ImageRefused('invalid', `does not decode: ${(err as Error).message}`);
    }
    // A header that lied about the size (or a second frame header) must not get past the cap.
    if (img.width !== declared.width || img.height !== declared.height || img.data.length !== img.width * img.height * 4) {
      throw new ImageRefused('invalid', 'decoded size differs from the declared one');
    }
    if (type === 'image/jpeg' && declared.orientation && declared.orientation > 1) img = orient(img, declared.orientation);
    return encode(img, type);
  }

  return {
    reencode(bytes, type) {
      const done = queue.then(() => reencode(bytes, type));
      queue = done.catch(() => {});
      return done;
    },
  };
}

/** The pixels turned as EXIF orientation 2–8 says (the TIFF specification's numbering). */
export function orient(img: Rgba, orientation: number): Rgba {
  const { width: w, height: h, data } = img;
  const swap = orientation >= 5;
  const ow = swap ? h : w;
  const oh = swap ? w : h;
  // Where the output pixel (x, y) comes from in the source.
  const from: (x: number, y: number) => [number, number] =
    {
      2: (x: number, y: number): [number, number] => [w - 1 - x, y],
      3: (x: number, y: number): [number, number] => [w - 1 - x, h - 1 - y],
      4: (x: number, y: number): [number, number] => [x, h - 1 - y],
      5: (x: number, y: number): [number, number] => [y, x],
      6: (x: number, y: number): [number, number] => [y, h - 1 - x],
      7: (x: number, y: number): [number, number] => [w - 1 - y, h - 1 - x],
      8: (x: number, y: number): [number, number] => [w - 1 - y, x],
    }[orientation] ?? ((x: number, y: number): [number, number] => [x, y]);
  const out = new Uint8Array(data.length);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const [sx, sy] = from(x, y);
      const s = (sy * w + sx) * 4;
      const o = (y * ow + x) * 4;
      out[o] = data[s]!;
      out[o + 1] = data[s + 1]!;
      out[o + 2] = data[s + 2]!;
      out[o + 3] = data[s + 3]!;
    }
  }
  return { width: ow, height: oh, data: out };
}
