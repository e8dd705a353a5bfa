/** Seeded mutations of driver sources: byte flips, truncations, token deletions and duplications, inserted braces and preprocessor lines. */
import { Rng } from '../../bench/corpus/prng';

const FLIP_CHARS = '{}()[];,#"\'/*\\\n\r\t\0 abcXYZ019_<>=!&|+-.:?~^%@$`\u00e9\ufeff\ud800';
const INSERTS = ['{', '}', '(', ')', '[', ']', ';', '#if X\n', '#ifdef Y\n', '#else\n', '#endif\n', '#elif Z\n', '/*', '*/', '//', '"', "'", '\\\n', '\0', '\r', '\ufeff', '\ud800', '#define A(x) x\n', '__try {', '} __except (1) {', 'else ', 'if (a) ', 'goto out; ', 'out: ', 'return; ', 'case 1: ', 'template <', '>', '::', 'L"', 'R"x(', '?:', '\n#pragma once\n'];

const isWordChar = (c: string): boolean => /[A-Za-z0-9_]/.test(c);

function tokenBounds(text: string, at: number): [number, number] {
  let s = at;
  let e = at + 1;
  if (isWordChar(text[at] ?? '')) {
    while (s > 0 && isWordChar(text[s - 1])) s--;
    while (e < text.length && isWordChar(text[e])) e++;
  }
  return [s, e];
}

export type MutationKind = 'flip' | 'truncate' | 'delete-token' | 'duplicate-span' | 'insert' | 'swap-lines' | 'delete-lines';
const KINDS: readonly MutationKind[] = ['flip', 'truncate', 'delete-token', 'duplicate-span', 'insert', 'insert', 'swap-lines', 'delete-lines'];

export function mutateOnce(text: string, rng: Rng, kind: MutationKind = rng.pick(KINDS)): string {
  if (text.length === 0) return rng.pick(INSERTS);
  const at = rng.int(0, text.length - 1);
  switch (kind) {
    case 'flip':
      return text.slice(0, at) + rng.pick([...FLIP_CHARS]) + text.slice(at + 1);
    case 'truncate':
      return text.slice(0, at);
    case 'delete-token': {
      const [s, e] = tokenBounds(text, at);
      return text.slice(0, s) + text.slice(e);
    }
    case 'duplicate-span': {
      const len = rng.int(1, Math.min(400, text.length - at));
      const to = rng.int(0, text.length);
      return text.slice(0, to) + text.slice(at, at + len) + text.slice(to);
    }
    case 'insert': {
      const what = rng.pick(INSERTS);
      const n = rng.chance(0.1) ? rng.int(2, 50) : 1;
      return text.slice(0, at) + what.repeat(n) + text.slice(at);
    }
    case 'swap-lines': {
      const lines = text.split('\n');
      const a = rng.int(0, lines.length - 1);
      const b = rng.int(0, lines.length - 1);
      [lines[a], lines[b]] = [lines[b], lines[a]];
      return lines.join('\n');
    }
    case 'delete-lines': {
      const lines = text.split('\n');
      const a = rng.int(0, lines.length - 1);
      lines.splice(a, rng.int(1, 5));
      return lines.join('\n');
    }
  }
}

/** The mutant number `index` of `text` under `seed`: reproducible on its own, without replaying earlier ones. */
export function mutant(text: string, seed: number, index: number): string {
  const rng = new Rng((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  let out = text;
  const steps = rng.int(1, 4);
  for (let i = 0; i < steps; i++) out = mutateOnce(out, rng);
  return out;
}
