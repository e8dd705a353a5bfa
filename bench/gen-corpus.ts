/**
 * `node out/bench/gen-corpus.js --out DIR [--mb N | --files N] [--seed N]`: writes the deterministic driver-like
 * corpus used by `npm run bench`.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_SEED, writeCorpus } from './corpus/generate';

function main(): void {
  const { values } = parseArgs({ options: { out: { type: 'string' }, mb: { type: 'string' }, files: { type: 'string' }, seed: { type: 'string' } } });
  if (!values.out) {
    console.error('usage: gen-corpus --out DIR [--mb N | --files N] [--seed N]');
    process.exit(2);
  }
  const bytes = values.mb !== undefined ? Math.round(Number(values.mb) * 1024 * 1024) : undefined;
  const files = values.files !== undefined ? Number(values.files) : undefined;
  const seed = values.seed !== undefined ? Number(values.seed) : DEFAULT_SEED;
  if ((bytes !== undefined && !(bytes > 0)) || (files !== undefined && !(files > 0)) || !Number.isInteger(seed)) {
    console.error('gen-corpus: --mb and --files must be positive numbers, --seed an integer');
    process.exit(2);
  }
  const summary = writeCorpus(values.out, { seed, bytes: bytes ?? (files === undefined ? 20 * 1024 * 1024 : undefined), files });
  console.log(`${summary.files} files, ${(summary.bytes / 1048576).toFixed(1)} MB, ${summary.lines} lines in ${values.out}`);
}

main();
