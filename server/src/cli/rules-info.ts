/** `--list-rules` and `--explain`: the rule catalogue from the generated index. */
import { createColors } from 'picocolors';
import { RULES } from '../../../rules/index.generated';
import type { EngineConfig } from '../engine/config';
import { effectiveSeverity } from '../engine/lint';
import type { Rule } from '../engine/rule';

/** A rule by id, name or alias (case-insensitive), also the alias of one of its checks. */
export function findRule(name: string): Rule | undefined {
  const n = name.trim().toLowerCase();
  const named = (aliases: readonly string[]): boolean => aliases.some((a) => a.toLowerCase() === n);
  return (
    RULES.find((r) => r.meta.id.toLowerCase() === n || r.meta.name === n) ??
    RULES.find((r) => named(r.meta.aliases)) ??
    RULES.find((r) => r.meta.subKinds.some((k) => named(k.aliases)))
  );
}

export function resolveRuleName(name: string): string | undefined {
  return findRule(name)?.meta.id;
}

export function listRules(config: EngineConfig, color: boolean): string {
  const c = createColors(color);
  const rows = RULES.map((r) => [r.meta.id, effectiveSeverity(r, config), r.meta.name, r.meta.category, r.meta.summary]);
  const width = (i: number) => Math.max(...rows.map((row) => row[i].length));
  const [w0, w1, w2, w3] = [0, 1, 2, 3].map(width);
  const paint = (sev: string, s: string) => (sev === 'error' ? c.red(s) : sev === 'warning' ? c.yellow(s) : sev === 'note' ? c.cyan(s) : c.dim(s));
  const lines = rows.map(([id, sev, name, cat, summary]) => `${c.bold(id.padEnd(w0))}  ${paint(sev, sev.padEnd(w1))}  ${name.padEnd(w2)}  ${cat.padEnd(w3)}  ${summary}`);
  return `${lines.join('\n')}\n\n${RULES.length} rules. Severities are the effective ones (config and --rule applied). kslint --explain <id> prints a rule's documentation.\n`;
}

export function explainRule(name: string): string | undefined {
  const rule = findRule(name);
  if (!rule) return undefined;
  const m = rule.meta;
  const facts = [
    `Default severity: ${m.enabledByDefault ? m.severity : `off (${m.severity} when enabled)`}`,
    `Category: ${m.category}`,
    m.cwe.length ? `CWE: ${m.cwe.map((n) => `CWE-${n}`).join(', ')}` : undefined,
    `Precision: ${m.precision}; analysis: ${m.level}; fixes: ${m.fixable}`,
    m.anchors.length ? `Nearest Microsoft checks: ${m.anchors.join(', ')}` : undefined,
    m.aliases.length ? `Also accepted in suppressions: ${m.aliases.join(', ')}` : undefined,
    ...m.subKinds.map((k) => `Check ${k.id}: suppressed alone by ${[...k.aliases, `${m.id}/${k.id}`].join(', ')}`),
  ].filter(Boolean);
  const body = rule.docs.markdown.replace(/^# .*\n+/, '');
  return `# ${m.id} ${m.name}\n\n${m.summary}\n\n${facts.map((f) => `- ${f}`).join('\n')}\n\n${body.trim()}\n`;
}
