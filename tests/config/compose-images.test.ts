// MongoDB images at or above the release of their line that fixes CVE-2025-14847 (zlib message
// decompression discloses server memory without authentication): MongoDB's advisory SERVER-115508
// names 8.2.3, 8.0.17, 7.0.28, 6.0.27, 5.0.32 and 4.4.30; older lines get no fix.
import { describe, expect, it } from 'vitest';
import { composeServices } from './compose-model.js';

const FIXED: Record<string, number> = { '8.2': 3, '8.0': 17, '7.0': 28, '6.0': 27, '5.0': 32, '4.4': 30 };

const mongoImages = [...composeServices().values()]
  .filter((s) => /^(docker\.io\/)?(library\/)?mongo:/.test(s.svc.image ?? ''))
  .map((s) => [s.name, s.svc.image!] as const);

describe('MongoDB images', () => {
  it('the model has both MongoDB servers (votes and Graylog)', () => {
    expect(mongoImages.map(([name]) => name).sort()).toEqual(['graylog-mongo', 'mongo']);
  });

  it.each(mongoImages)('%s (%s) is a release with the CVE-2025-14847 fix', (_name, image) => {
    const m = /:(\d+)\.(\d+)\.(\d+)$/.exec(image);
    expect(m, `${image} is not pinned to a patch release`).not.toBeNull();
    const [, major, minor, patch] = m!;
    const line = `${major}.${minor}`;
    const fixed = FIXED[line];
    if (Number(major) > 8 || (major === '8' && Number(minor) > 2)) return; // released after the fix
    expect(fixed, `MongoDB ${line} has no fixed release`).toBeDefined();
    expect(Number(patch)).toBeGreaterThanOrEqual(fixed!);
  });
});
