/**
 * Writes findings forever (parts of 2,000 rows, row groups of 500), printing each completed part; the crash
 * test kills it with SIGKILL in the middle of a part.
 */
import { DatasetWriter } from '../../pipeline/dataset_writer.ts';
import { storageCast } from '../../contracts/storage_cast.ts';
import { DRAFT, validRecord } from './records.ts';

const root = process.argv[2];
if (!root) throw new Error('usage: crash_writer.ts <dataset root>');
const writer = new DatasetWriter({
  root,
  tenantId: 'acme',
  runDate: '2026-11-22',
  rowGroupRows: 500,
  rowsPerFile: 2_000,
  onPart: async (part) => void process.stdout.write(`part ${part.rows}\n`),
});
for (let i = 0; ; i += 1) {
  const id = `vol-${i}`;
  await writer.append(
    storageCast(validRecord({ ...DRAFT, scope: { ...DRAFT.scope, resource_id: id }, issue_key: { id } })),
  );
  if (i % 500 === 499) {
    process.stdout.write(`rows ${i + 1}\n`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
