/**
 * Dominators by the iterative algorithm of Cooper, Harvey and Kennedy ("A Simple, Fast Dominance Algorithm"),
 * over a reverse post-order computed without recursion.
 */
import type { Cfg } from './cfg';

export interface Dominators {
  /** Immediate dominator of a node; -1 for the entry and for unreachable nodes. */
  readonly idom: Int32Array;
  /** Nodes in reverse post-order from the entry (unreachable nodes absent). */
  readonly rpo: readonly number[];
  /** True when every path from the entry to `b` passes through `a` (a node dominates itself). */
  dominates(a: number, b: number): boolean;
  reachable(n: number): boolean;
}

export function reversePostOrder(cfg: Cfg): number[] {
  const n = cfg.nodes.length;
  const state = new Uint8Array(n); // 0 new, 1 on stack, 2 done
  const post: number[] = [];
  const stack: { node: number; next: number }[] = [{ node: cfg.entry, next: 0 }];
  state[cfg.entry] = 1;
  while (stack.length) {
    const top = stack[stack.length - 1];
    const succs = cfg.nodes[top.node].succs;
    if (top.next < succs.length) {
      const s = succs[top.next++];
      if (state[s] === 0) {
        state[s] = 1;
        stack.push({ node: s, next: 0 });
      }
      continue;
    }
    state[top.node] = 2;
    post.push(top.node);
    stack.pop();
  }
  return post.reverse();
}

/** Dominators of a CFG, once per CFG (CFGs outlive an edit that does not touch their function: see buildCfg). */
export function computeDominators(cfg: Cfg): Dominators {
  let d = computed.get(cfg);
  if (!d) computed.set(cfg, (d = dominatorsOf(cfg)));
  return d;
}

const computed = new WeakMap<Cfg, Dominators>();

function dominatorsOf(cfg: Cfg): Dominators {
  const n = cfg.nodes.length;
  const rpo = reversePostOrder(cfg);
  const order = new Int32Array(n).fill(-1);
  rpo.forEach((id, i) => (order[id] = i));
  const idom = new Int32Array(n).fill(-1);
  idom[cfg.entry] = cfg.entry;
  const intersect = (a: number, b: number): number => {
    let x = a;
    let y = b;
    while (x !== y) {
      while (order[x] > order[y]) x = idom[x];
      while (order[y] > order[x]) y = idom[y];
    }
    return x;
  };
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = 1; i < rpo.length; i++) {
      const b = rpo[i];
      let nd = -1;
      for (const p of cfg.nodes[b].preds) {
        if (order[p] < 0 || idom[p] < 0) continue;
        nd = nd < 0 ? p : intersect(p, nd);
      }
      if (nd >= 0 && idom[b] !== nd) {
        idom[b] = nd;
        changed = true;
      }
    }
  }
  idom[cfg.entry] = -1;
  // Depth in the dominator tree makes `dominates` a short walk up from the deeper node.
  const depth = new Int32Array(n).fill(-1);
  for (const b of rpo) depth[b] = b === cfg.entry ? 0 : depth[idom[b]] + 1;
  return {
    idom,
    rpo,
    reachable: (x) => order[x] >= 0,
    dominates(a, b) {
      if (order[a] < 0 || order[b] < 0) return false;
      let x = b;
      while (depth[x] > depth[a]) x = idom[x];
      return x === a;
    },
  };
}
