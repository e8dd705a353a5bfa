/**
 * The editor's view of the project analysis: one summary per file (from disk for the workspace index, from the
 * buffer for open documents, which win), the project index built from them on demand, and per open document the
 * dependency key its last findings were computed under.
 */
import { buildProjectIndex, dependencyKey, FileSummary } from '../engine/lint';
import type { ProjectIndex } from '../engine/analysis';

export class ProjectState {
  private readonly disk = new Map<string, FileSummary>();
  private readonly open = new Map<string, FileSummary>();
  /** JSON of each summary in use, to tell a real change from a re-summary of the same facts. */
  private readonly fingerprints = new Map<string, string>();
  private index: ProjectIndex | undefined;
  private generation = 0;

  /** Bumped whenever the set of summaries changes; an index built at an older generation is out of date. */
  get version(): number {
    return this.generation;
  }

  /** Records a file's summary from disk (`undefined`: the file is gone). Returns whether anything changed. */
  setDisk(path: string, summary: FileSummary | undefined): boolean {
    if (summary) this.disk.set(path, summary);
    else this.disk.delete(path);
    return this.refresh(path);
  }

  /** Records an open document's summary (`undefined`: closed, the disk summary applies again). */
  setOpen(path: string, summary: FileSummary | undefined): boolean {
    if (summary) this.open.set(path, summary);
    else this.open.delete(path);
    return this.refresh(path);
  }

  has(path: string): boolean {
    return this.open.has(path) || this.disk.has(path);
  }

  summary(path: string): FileSummary | undefined {
    return this.open.get(path) ?? this.disk.get(path);
  }

  get size(): number {
    let n = this.open.size;
    for (const p of this.disk.keys()) if (!this.open.has(p)) n++;
    return n;
  }

  diskPaths(): string[] {
    return [...this.disk.keys()].sort();
  }

  clearDisk(): void {
    for (const p of [...this.disk.keys()]) this.setDisk(p, undefined);
  }

  /** The project index over every known summary (rebuilt only after a change). */
  getIndex(): ProjectIndex {
    if (!this.index) {
      const all: FileSummary[] = [...this.open.values()];
      for (const [p, s] of this.disk) if (!this.open.has(p)) all.push(s);
      this.index = buildProjectIndex(all);
    }
    return this.index;
  }

  /** The key of the project facts a file's findings depend on, under the current index. */
  keyFor(path: string): string | undefined {
    const s = this.summary(path);
    return s && dependencyKey(this.getIndex(), s);
  }

  private refresh(path: string): boolean {
    const s = this.summary(path);
    const json = s ? JSON.stringify(s) : undefined;
    if (json === this.fingerprints.get(path)) return false;
    if (json === undefined) this.fingerprints.delete(path);
    else this.fingerprints.set(path, json);
    this.index = undefined;
    this.generation++;
    return true;
  }
}
