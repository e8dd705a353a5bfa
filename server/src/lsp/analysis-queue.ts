/**
 * When to analyse each document. An edit after a pause is analysed at once (leading edge); edits in quick
 * succession wait until typing pauses for `debounceMs` (trailing edge). One run per document at a time: a change
 * arriving during a run marks the run stale, so it stops at its next checkpoint and a fresh run follows. Runs
 * publish in version order because a document never has two runs at once and stale runs publish nothing.
 */
import type { OpenDocument } from './documents';

export type Trigger = 'open' | 'change' | 'save' | 'config' | 'dependency';

export type RunFn = (doc: OpenDocument, isStale: () => boolean) => Promise<void>;

export class AnalysisQueue {
  constructor(
    private readonly run: RunFn,
    public debounceMs = 150,
    private readonly onError: (doc: OpenDocument, err: unknown) => void = () => undefined,
  ) {}

  /** Call before the document's text is updated for a change, so the pause since the previous edit is known. */
  schedule(doc: OpenDocument, trigger: Trigger, now = Date.now()): void {
    if (doc.closed) return;
    const sinceLast = now - doc.lastChange;
    if (trigger === 'change') doc.lastChange = now;
    if (doc.running) {
      doc.rerun = true;
      return;
    }
    const burst = trigger === 'change' && (sinceLast < this.debounceMs || doc.timer !== undefined);
    if (doc.timer) clearTimeout(doc.timer);
    doc.timer = setTimeout(() => this.start(doc), burst ? this.debounceMs : 0);
  }

  cancel(doc: OpenDocument): void {
    if (doc.timer) clearTimeout(doc.timer);
    doc.timer = undefined;
    doc.rerun = false;
  }

  private start(doc: OpenDocument): void {
    doc.timer = undefined;
    if (doc.closed) return;
    const version = doc.version;
    doc.running = true;
    doc.rerun = false;
    const isStale = (): boolean => doc.closed || doc.version !== version;
    this.run(doc, isStale)
      .catch((err) => this.onError(doc, err))
      .finally(() => {
        doc.running = false;
        if (doc.closed) return;
        if (doc.rerun || doc.version !== version) {
          doc.rerun = false;
          // Still typing: wait for a pause; otherwise pick up the latest text at once.
          const typing = Date.now() - doc.lastChange < this.debounceMs;
          doc.timer = setTimeout(() => this.start(doc), typing ? this.debounceMs : 0);
        }
      });
  }
}
