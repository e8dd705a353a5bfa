/**
 * A deterministic generator of a driver-like C/C++ corpus. The output is a pure function of the seed and the
 * requested size: one folder per driver with a shared header, WDM and KMDF IOCTL handlers, helpers called across
 * files, a content interpreter, a minifilter, registry code and a C++ class, padded with ordinary driver code.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { contentFile, engineCpp } from './content';
import { kmdfFile, wdmFile } from './entries';
import { filterFile, registryFile } from './filter';
import { bufferHelper, filler, fillerName, valueHelper } from './handlers';
import { DriverModel, header, makeModel } from './model';
import { Rng } from './prng';

export interface CorpusOptions {
  readonly seed?: number;
  /** Stop once this many bytes were generated (whole files; the last file may overshoot). */
  readonly bytes?: number;
  /** Stop after this many files. */
  readonly files?: number;
}

export interface GeneratedFile {
  /** Relative path with forward slashes. */
  readonly path: string;
  readonly text: string;
}

export const DEFAULT_SEED = 20240719;

type Emitter = (rng: Rng, m: DriverModel, extra: string[]) => string;

/** Target size of one file: skewed like real trees (many small files, a few large ones). */
function targetSize(rng: Rng): number {
  const u = rng.next();
  return Math.round(3000 + 120000 * u * u * u + rng.int(0, 8000));
}

function padded(rng: Rng, m: DriverModel, used: Set<string>, emit: Emitter): string {
  const target = targetSize(rng);
  const extra: string[] = [];
  let text = emit(rng, m, extra);
  while (text.length < target) {
    extra.push(filler(rng, m, fillerName(rng, m, used)), '');
    text = emit(rng.fork(0), m, extra);
  }
  return text;
}

function handlersFile(rng: Rng, m: DriverModel, extra: string[]): string {
  const parts = [`#include "${m.prefix.toLowerCase()}.h"`, ''];
  for (const h of m.bufferHelpers) parts.push(bufferHelper(rng, m, h));
  for (const h of m.valueHelpers) parts.push(valueHelper(rng, m, h));
  return [...parts, ...extra].join('\n');
}

/** The files of one driver, in a fixed order. */
function* driverFiles(rng: Rng, index: number): Generator<GeneratedFile> {
  const m = makeModel(rng, index);
  const dir = `drv${String(index).padStart(4, '0')}-${m.prefix.toLowerCase()}`;
  const used = new Set<string>();
  const crlf = rng.chance(0.3);
  const out = (name: string, text: string): GeneratedFile => ({ path: `${dir}/${name}`, text: crlf ? text.replace(/\n/g, '\r\n') : text });
  yield out(`${m.prefix.toLowerCase()}.h`, header(rng, m));
  const kinds: [string, Emitter, number][] = [
    ['ioctl.c', wdmFile, 0.7],
    ['queue.c', kmdfFile, 0.5],
    ['handlers.c', handlersFile, 1],
    ['content.c', contentFile, 0.6],
    ['filter.c', filterFile, 0.4],
    ['registry.c', registryFile, 0.5],
    ['engine.cpp', engineCpp, 0.35],
  ];
  for (const [name, emit, p] of kinds) {
    // Each file draws from its own stream so that the choice of files does not shift the others' content.
    const frng = rng.fork(name.length);
    if (frng.chance(p)) yield out(name, padded(frng, m, used, emit));
  }
  const more = rng.int(0, 3);
  for (let k = 0; k < more; k++) {
    const frng = rng.fork(100 + k);
    yield out(`support${k}.c`, padded(frng, m, used, (_r, mm, extra) => [`#include "${mm.prefix.toLowerCase()}.h"`, '', ...extra].join('\n')));
  }
}

/** Generates files until the byte or file budget is reached (at least one file). */
export function* generateCorpus(options: CorpusOptions = {}): Generator<GeneratedFile> {
  const rng = new Rng(options.seed ?? DEFAULT_SEED);
  const maxBytes = options.bytes ?? Infinity;
  const maxFiles = options.files ?? Infinity;
  if (maxBytes === Infinity && maxFiles === Infinity) throw new Error('generateCorpus needs a byte or file budget');
  let bytes = 0;
  let files = 0;
  for (let index = 0; ; index++) {
    for (const f of driverFiles(rng.fork(index), index)) {
      yield f;
      bytes += Buffer.byteLength(f.text);
      files++;
      if (bytes >= maxBytes || files >= maxFiles) return;
    }
  }
}

export interface CorpusSummary {
  readonly files: number;
  readonly bytes: number;
  readonly lines: number;
}

/** Writes a corpus under `dir` (which should be empty or absent). */
export function writeCorpus(dir: string, options: CorpusOptions): CorpusSummary {
  let files = 0;
  let bytes = 0;
  let lines = 0;
  for (const f of generateCorpus(options)) {
    const full = join(dir, ...f.path.split('/'));
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, f.text);
    files++;
    bytes += Buffer.byteLength(f.text);
    for (let i = 0; i < f.text.length; i++) if (f.text.charCodeAt(i) === 10) lines++;
  }
  return { files, bytes, lines };
}
