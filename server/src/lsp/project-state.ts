/**
 * The editor's view of the project analysis: one summary per file (from disk for the workspace index, from the
 * buffer for open documents, which win), the project index built from them on demand, and per open document the
 * dependency key its last findings were computed under.
 */
import { buildProjectIndex, dependencyKey, FileSummary } from '../engine/lint';
import type { ProjectIndex } from '../engine/analysis';
import { summaryShape } from '../engine/index/summary';
import { composeMaps, movedIndex, PositionMap, positionMap } from '../engine/index/moves';

export class ProjectState {
  private readonly disk = new Map<string, FileSummary>();
  private readonly open = new Map<string, FileSummary>();
  /** JSON of each summary in use, to tell a real change from a re-summary of the same facts. */
  private readonly fingerprints = new Map<string, string>();
  /** Each summary's shape (its JSON without positions), to tell a move from a change of facts. */
  private readonly shapes = new Map<string, string>();
  /** Built from the summaries as they were when it was built; `moves` says where moved files' positions went since. */
  private index: ProjectIndex | undefined;
  private readonly moves = new Map<string, PositionMap>();
  private view: ProjectIndex | undefined;
  private generation = 0;
  /** How many times the index was built (a move alone does not build it). */
  builds = 0;
  private holds = 0;
  /** A change of facts arrived while held: the index is out of date once released. */
  private stale = false;

  /** Bumped whenever the set of summaries changes; an index built at an older generation is out of date. */
  get version(): number {
    return this.generation;
  }

  /**
   * Until the returned function is called, changes of facts leave an index already built in use. Building the
   * workspace index changes the facts once per file; without a hold, every edit analysed meanwhile would build
   * the index again. On release the index is built again (on next use) if anything changed, and the caller
   * re-checks the open documents whose project facts moved.
   */
  hold(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.holds === 0 && this.stale) {
        this.stale = false;
        this.index = undefined;
      }
    };
  }

  /** Records a file's summary from disk (`undefined`: the file is gone). Returns whether anything changed. */
  setDisk(path: string, summary: FileSummary | undefined): boolean {
    const before = this.summary(path);
    if (summary) this.disk.set(path, summary);
    else this.disk.delete(path);
    return this.refresh(path, before);
  }

  /** Records an open document's summary (`undefined`: closed, the disk summary applies again). */
  setOpen(path: string, summary: FileSummary | undefined): boolean {
    const before = this.summary(path);
    if (summary) this.open.set(path, summary);
    else this.open.delete(path);
    return this.refresh(path, before);
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

  /**
   * The project index over every known summary. It is built again only after a change of facts: when summaries
   * changed only in positions (a line typed above a call), the index built before answers with its citations of
   * the moved files moved (see `movedIndex`), which is what building it again would give.
   */
  getIndex(): ProjectIndex {
    if (!this.index) {
      const all: FileSummary[] = [...this.open.values()];
      for (const [p, s] of this.disk) if (!this.open.has(p)) all.push(s);
      this.index = buildProjectIndex(all);
      this.builds++;
      this.moves.clear();
      this.view = undefined;
    }
    if (this.moves.size === 0) return this.index;
    return (this.view ??= movedIndex(this.index, this.moves));
  }

  /** The key of the project facts a file's findings depend on, under the current index. */
  keyFor(path: string): string | undefined {
    const s = this.summary(path);
    return s && dependencyKey(this.getIndex(), s);
  }

  private refresh(path: string, before: FileSummary | undefined): boolean {
    const s = this.summary(path);
    const json = s ? JSON.stringify(s) : undefined;
    if (json === this.fingerprints.get(path)) return false;
    const shape = s && summaryShape(s);
    const moved = this.index && before && s && shape === this.shapes.get(path) && this.followMove(path, before, s);
    if (json === undefined) this.fingerprints.delete(path);
    else this.fingerprints.set(path, json);
    if (shape === undefined) this.shapes.delete(path);
    else this.shapes.set(path, shape);
    if (!moved) {
      if (this.holds > 0 && this.index) this.stale = true;
      else this.index = undefined;
    }
    this.generation++;
    return true;
  }

  /** Records that `path` moved from `before` to `after` (same shape); false if the positions cannot be paired. */
  private followMove(path: string, before: FileSummary, after: FileSummary): boolean {
    const step = positionMap(before, after);
    const prior = this.moves.get(path);
    const map = step && (prior ? composeMaps(prior, step) : step);
    if (!map) return false;
    this.moves.set(path, map);
    this.view = undefined;
    return true;
  }
}
