/**
 * A one-line progress indicator on standard error, for terminals only and only once a run has lasted a moment
 * (short runs print nothing). It rewrites itself in place and is erased before anything else is printed.
 */
const DELAY_MS = 700;
const INTERVAL_MS = 100;

export class Progress {
  private readonly start = Date.now();
  private last = 0;
  private shown = false;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly enabled: boolean,
  ) {}

  update(label: string, done: number, total: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.start < DELAY_MS || (now - this.last < INTERVAL_MS && done < total)) return;
    this.last = now;
    const pct = total ? Math.floor((done / total) * 100) : 100;
    this.stream.write(`\r\x1b[Kkslint: ${label} ${done}/${total} files (${pct}%)`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
  }
}
