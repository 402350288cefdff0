/** An export in S3 is copied before it is imported: its manifests, and only the data files they list. */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadExport } from '../../cli/cost_command.ts';
import { LocalStore } from '../../pipeline/store.ts';
import { writeCurExport, type CurLine } from '../../scripts/billing_export.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cost-download-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const line = (start: string): CurLine => ({ type: 'Usage', resource: 'vol-1', start, unblended: 1 });

/** A store over a local folder that records the keys it is asked to download. */
class RecordingStore extends LocalStore {
  readonly downloaded: string[] = [];
  override async download(key: string, localPath: string): Promise<void> {
    this.downloaded.push(key);
    await super.download(key, localPath);
  }
}

describe('copying a Data Exports export from an object store', () => {
  it('downloads the manifests, the files they list, and every file of a period without a manifest', async () => {
    const source = join(dir, 'bucket');
    // October: the latest delivery, and an earlier one its manifest no longer lists.
    await writeCurExport(source, 'cur', '2026-10', [line('2026-10-05T00:00:00Z')], {
      stale: [line('2026-10-05T00:00:00Z')],
    });
    // September: no manifest.
    await writeCurExport(source, 'cur', '2026-09', [line('2026-09-05T00:00:00Z')], { manifest: false });
    const store = new RecordingStore(join(source, 'cur'));
    const copy = join(dir, 'copy');
    await downloadExport(store, copy);
    expect(store.downloaded.sort()).toEqual([
      'data/BILLING_PERIOD=2026-09/cur-00001.snappy.parquet',
      'data/BILLING_PERIOD=2026-10/cur-00001.snappy.parquet',
      'metadata/BILLING_PERIOD=2026-10/cur-Manifest.json',
    ]);
    expect((await readdir(join(copy, 'data', 'BILLING_PERIOD=2026-10'))).sort()).toEqual([
      'cur-00001.snappy.parquet',
    ]);
  });

  it('downloads a legacy CUR report as its year=/month= Parquet files, and nothing else', async () => {
    const report = join(dir, 'legacy-bucket', 'report');
    const month = join(report, 'report', 'year=2026', 'month=10');
    await mkdir(month, { recursive: true });
    await writeFile(join(month, 'report-00001.snappy.parquet'), 'parquet bytes');
    await writeFile(join(report, 'report', 'notes.txt'), 'not billing data');
    const store = new RecordingStore(report);
    await downloadExport(store, join(dir, 'legacy-copy'));
    expect(store.downloaded).toEqual(['report/year=2026/month=10/report-00001.snappy.parquet']);
  });
});
