/**
 * Where each rule's documentation lives for the editor: the `rule.md` shipped next to the server (the bundle
 * copies `rules/KSnnnn-slug/rule.md` into `dist/rules/`), or the repository's `rules/` folder when the server runs
 * from a build of the repository. Links are file URIs, so they open offline.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Rule } from '../engine/rule';

/** The first `rules` folder holding rule docs, searching from the server's own folder upwards. */
export function findRulesRoot(rules: readonly Rule[], from: string = __dirname): string | undefined {
  const probe = rules[0] && `${rules[0].meta.id}-${rules[0].meta.name}`;
  if (!probe) return undefined;
  let dir = from;
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'rules');
    if (existsSync(join(candidate, probe, 'rule.md'))) return candidate;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

export class RuleDocs {
  private readonly byId = new Map<string, Rule>();

  constructor(
    readonly rules: readonly Rule[],
    private readonly root: string | undefined = findRulesRoot(rules),
  ) {
    for (const r of rules) this.byId.set(r.meta.id, r);
  }

  rule(id: string): Rule | undefined {
    return this.byId.get(id);
  }

  /** A file URI of the rule's `rule.md`, when the docs are on disk. */
  docUri(id: string): string | undefined {
    const rule = this.byId.get(id);
    if (!rule || !this.root) return undefined;
    return pathToFileURL(join(this.root, `${rule.meta.id}-${rule.meta.name}`, 'rule.md')).toString();
  }

  /** Hover text: what the finding says, then the rule's rationale, safer fix and user-mode alternative. */
  hoverMarkdown(id: string, message: string): string | undefined {
    const rule = this.byId.get(id);
    if (!rule) return undefined;
    const uri = this.docUri(id);
    const parts = [`**${rule.meta.id} ${rule.meta.name}** (kslint): ${message}`, `### Why it matters\n${rule.docs.why}`, `### Safer in-kernel fix\n${rule.docs.saferFix}`];
    if (rule.docs.userModeAlternative) parts.push(`### User-mode alternative\n${rule.docs.userModeAlternative}`);
    if (uri) parts.push(`[Full documentation of ${rule.meta.id}](${uri})`);
    return parts.join('\n\n');
  }
}
