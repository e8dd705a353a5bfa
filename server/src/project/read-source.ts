/**
 * Reading a source file from disk into text the engine can lint, or a reason to skip it. Windows driver trees mix
 * UTF-8 (with and without a byte-order mark), UTF-16 with a BOM, legacy code pages and the odd binary file; none
 * of them may stop a run.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

export type SourceEncoding = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16be';

export type SkipKind = 'too-large' | 'binary' | 'unsupported-encoding' | 'unreadable' | 'vanished' | 'not-a-file';

export interface SourceOk {
  readonly ok: true;
  readonly text: string;
  readonly encoding: SourceEncoding;
  /** The raw bytes (for content hashes). */
  readonly bytes: Buffer;
  /** Invalid UTF-8 sequences were decoded as U+FFFD. */
  readonly replaced: boolean;
}

export interface SourceSkipped {
  readonly ok: false;
  readonly kind: SkipKind;
  /** A short phrase for people, e.g. "larger than 8 MB (limit: limits.maxFileSize)". */
  readonly reason: string;
}

export type SourceRead = SourceOk | SourceSkipped;

export interface ReadOptions {
  /** Files above this many bytes are skipped. */
  readonly maxBytes: number;
}

export const DEFAULT_MAX_FILE_BYTES = 8 * 1024 * 1024;

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / (1024 * 1024)).toFixed(1)} MB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KB`;
  return `${n} bytes`;
}

const skip = (kind: SkipKind, reason: string): SourceSkipped => ({ ok: false, kind, reason });

/** Decodes file bytes: BOMs first, then NUL bytes mark binary data, then UTF-8 (with replacement if invalid). */
export function decodeSource(bytes: Buffer): SourceRead {
  const b = bytes;
  if (b.length >= 4 && ((b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) || (b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff))) {
    return skip('unsupported-encoding', 'UTF-32 text is not supported (save it as UTF-8)');
  }
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return { ok: true, text: new TextDecoder('utf-16le').decode(b.subarray(2)), encoding: 'utf-16le', bytes, replaced: false };
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return { ok: true, text: new TextDecoder('utf-16be').decode(b.subarray(2)), encoding: 'utf-16be', bytes, replaced: false };
  const bom = b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf;
  const body = bom ? b.subarray(3) : b;
  if (body.indexOf(0) >= 0) return skip('binary', 'contains NUL bytes (a binary file, or UTF-16 without a byte-order mark)');
  const encoding: SourceEncoding = bom ? 'utf-8-bom' : 'utf-8';
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body), encoding, bytes, replaced: false };
  } catch {
    // Legacy code-page files (comments in Windows-1252, ...) are still C: lint them with U+FFFD for the odd bytes.
    return { ok: true, text: new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(body), encoding, bytes, replaced: true };
  }
}

/** The bytes of `text` in `encoding`, byte-order mark included: the inverse of `decodeSource` for text it read. */
export function encodeSource(text: string, encoding: SourceEncoding): Buffer {
  switch (encoding) {
    case 'utf-8':
      return Buffer.from(text, 'utf8');
    case 'utf-8-bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
    case 'utf-16le':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    case 'utf-16be':
      return Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]);
  }
}

function ioReason(err: unknown): SourceSkipped {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return skip('vanished', 'no longer exists (removed during the run?)');
    case 'EACCES':
    case 'EPERM':
      return skip('unreadable', 'cannot be read: permission denied');
    case 'EISDIR':
      return skip('not-a-file', 'is a directory');
    case 'ELOOP':
      return skip('unreadable', 'cannot be read: too many levels of symbolic links');
    default:
      return skip('unreadable', `cannot be read: ${code ?? (err instanceof Error ? err.message : String(err))}`);
  }
}

/** What the file system says about a file's current contents (a changed file changes at least one of these). */
export interface FileStamp {
  readonly size: number;
  readonly mtimeMs: number;
  /** Set by the kernel on every write; unlike the modification time, it cannot be put back. */
  readonly ctimeMs: number;
  readonly ino: number;
}

export function stampOf(st: { size: number; mtimeMs: number; ctimeMs: number; ino: number }): FileStamp {
  return { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino };
}

export function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino;
}

/** The bytes, and the file's stamp taken before they were read. */
export type BytesRead = { readonly ok: true; readonly bytes: Buffer; readonly stamp: FileStamp } | SourceSkipped;

/**
 * Reads one file's bytes; never throws. The size is checked on the open file, so it cannot grow unseen; a file
 * truncated while being read yields what was there.
 */
export function readSourceBytes(path: string, options: ReadOptions): BytesRead {
  let fd: number | undefined;
  try {
    // Non-blocking, so that a named pipe in the tree cannot stall the run waiting for a writer.
    fd = openSync(path, process.platform === 'win32' ? 'r' : constants.O_RDONLY | constants.O_NONBLOCK);
    const st = fstatSync(fd);
    if (!st.isFile()) return skip('not-a-file', st.isDirectory() ? 'is a directory' : 'is not a regular file');
    if (st.size > options.maxBytes) return skip('too-large', `larger than ${formatBytes(options.maxBytes)} (${formatBytes(st.size)}; raise limits.maxFileSize to lint it)`);
    // Not from the shared small-buffer pool: the bytes may be handed to a worker thread. Not zero-filled: only the
    // part that was read is returned.
    const buf = Buffer.allocUnsafeSlow(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return { ok: true, bytes: off === buf.length ? buf : buf.subarray(0, off), stamp: stampOf(st) };
  } catch (err) {
    return ioReason(err);
  } finally {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    }
  }
}

/** Reads and decodes one file, or says why it is skipped; never throws. */
export function readSourceFile(path: string, options: ReadOptions): SourceRead {
  const r = readSourceBytes(path, options);
  return r.ok ? decodeSource(r.bytes) : r;
}
