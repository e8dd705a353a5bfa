/**
 * Conditions known along one path of a forward search: the value a repeated test had where the path last took it
 * (`if (!NT_SUCCESS(Status)) { release; } ... if (NT_SUCCESS(Status)) { ...; release; }`), or a flag the path set
 * to a constant (`changed = true; break;` then `if (!changed) release; else break;`). A branch contradicting one
 * cannot be taken on that path. A write to any name a fact mentions ends the fact.
 *
 * Only conditions that could ever contradict a fact are kept: those tested more than once, and names tested as a
 * truth value that the function also sets to a constant. That keeps the number of distinct search states small.
 */
import { AstNode, child, descendants, nodeText, TextSource } from '../ast';
import type { Cfg, CfgNode } from './cfg';
import { stripParens } from './cfg-core';
import type { FunctionFlow } from './function-flow';
import { pathRoot } from './paths';
import { definedPaths, pathsDefinedBy, reachesWithout } from './reach';
import { conditionKey } from './released';
import { declaratorName, declarations, effectNodes } from './solve';

export interface PathFact {
  readonly value: boolean;
  /** The names the condition reads: a write to one ends the fact. */
  readonly names: readonly string[];
}

export type PathFacts = ReadonlyMap<string, PathFact>;

/** The condition keys worth carrying in one function's searches (see the module comment). */
export function trackedConditions(flow: FunctionFlow): ReadonlySet<string> {
  const count = new Map<string, number>();
  for (const n of flow.cfg.nodes) {
    if (n.kind !== 'cond' || !n.ast) continue;
    const key = conditionKey(flow.file.source, n.ast);
    count.set(key, (count.get(key) ?? 0) + 1);
  }
  const out = new Set<string>();
  for (const [key, c] of count) if (c > 1 || /^[A-Za-z_]\w*$/.test(key)) out.add(key);
  return out;
}

/** `true`, `FALSE`, `0`, `NULL`: a constant with a known truth value. */
function truthOf(src: TextSource, v: AstNode | undefined): boolean | undefined {
  const t = v && nodeText(src, stripParens(v)).trim();
  if (!t) return undefined;
  if (/^(true|TRUE|1)$/.test(t)) return true;
  if (/^(false|FALSE|0|NULL|nullptr)$/.test(t)) return false;
  return undefined;
}

/** The facts holding after the assumed branch `node`, or undefined when the branch contradicts them. */
export function assumeFacts(src: TextSource, node: CfgNode, input: PathFacts, tracked: ReadonlySet<string>): PathFacts | undefined {
  if (node.kind !== 'assume' || !node.ast) return input;
  const key = conditionKey(src, node.ast);
  const known = input.get(key);
  if (known) return known.value === node.polarity ? input : undefined;
  if (!tracked.has(key)) return input;
  const names = [...new Set([node.ast, ...descendants(node.ast, 'identifier')].filter((i) => i.type === 'identifier').map((i) => nodeText(src, i)))];
  return new Map(input).set(key, { value: node.polarity, names });
}

/** The facts after the effects of `node` that start at or after `after`. */
export function effectFacts(cfg: Cfg, src: TextSource, node: CfgNode, after: number, input: PathFacts, tracked: ReadonlySet<string>): PathFacts {
  let out = input;
  for (const e of effectNodes(cfg, node)) {
    if (e.start < after) continue;
    const roots = pathsDefinedBy(src, e).map(pathRoot);
    if (!roots.length) continue;
    const next = new Map(out);
    for (const [key, f] of out) if (f.names.some((n) => roots.includes(n))) next.delete(key);
    // A flag set to a constant: `changed = true;`, `BOOLEAN found = FALSE;`.
    const set = (name: string | undefined, v: AstNode | undefined): void => {
      const value = truthOf(src, v);
      if (name !== undefined && value !== undefined && tracked.has(name)) next.set(name, { value, names: [name] });
    };
    if (e.type === 'assignment_expression' && child(e, 'operator')?.type === '=' && child(e, 'left')?.type === 'identifier') set(nodeText(src, child(e, 'left')!), child(e, 'right'));
    if (e.type === 'declaration') for (const d of declarations(e)) set(declaratorName(src, d.declarator), d.value);
    out = next;
  }
  return out;
}

/**
 * The facts holding when `start` runs, on every path: the branches that dominate it (`if (needLock) acquire;`), and
 * flags a dominating statement set to a constant that no other write can change on the way (`found = FALSE;`).
 */
export function factsAt(flow: FunctionFlow, start: CfgNode, tracked: ReadonlySet<string>): PathFacts {
  const src = flow.file.source;
  const cfg = flow.cfg;
  let out: PathFacts = new Map();
  for (const n of cfg.nodes) {
    if (n.id === start.id || !flow.dominators.dominates(n.id, start.id)) continue;
    if (n.kind === 'assume') out = assumeFacts(src, n, out, tracked) ?? out;
    else if (n.kind === 'stmt') {
      const set = effectFacts(cfg, src, n, -1, new Map(), tracked);
      for (const [name, f] of set) {
        const writes = (x: CfgNode): boolean => x.id !== n.id && definedPaths(cfg, src, x).includes(name);
        // Another write that can run after the store and before `start` with no new store between (as in a loop).
        const between = (x: CfgNode): boolean => reachesWithout(cfg, n, x, () => false) && reachesWithout(cfg, x, start, (y) => y.id === n.id);
        if (!cfg.nodes.some((x) => writes(x) && x.id !== start.id && between(x))) out = new Map(out).set(name, f);
      }
    }
  }
  return out;
}

/** A key for the facts, to tell search states apart. */
export function pathFactsKey(facts: PathFacts): string {
  if (!facts.size) return '';
  return [...facts].map(([k, f]) => `${k}=${f.value ? 1 : 0}`).sort().join('&');
}
