// Parses a rule.md: YAML front matter (the rule's metadata) and the Markdown sections of its doc.
import { parse as parseYaml } from 'yaml';

const REQUIRED = ['id', 'name', 'summary', 'severity', 'category', 'cwe', 'precision', 'level', 'fixable', 'anchors', 'security-severity'];
const SECTIONS = { why: 'Why it matters', incorrect: 'Incorrect', correct: 'Correct', saferFix: 'Safer in-kernel fix', userMode: 'User-mode alternative', references: 'References' };

export function splitFrontMatter(text) {
  const m = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(text);
  if (!m) return { front: undefined, body: text };
  return { front: m[1], body: text.slice(m[0].length) };
}

/** Splits a Markdown body into `## Heading` sections (heading text -> content). */
export function sections(body) {
  const out = new Map();
  let current;
  let buf = [];
  let fence = false;
  for (const line of body.split(/\r?\n/)) {
    if (/^(```|~~~)/.test(line)) fence = !fence;
    const h = !fence && /^##\s+(.+?)\s*$/.exec(line);
    if (h) {
      if (current) out.set(current, buf.join('\n').trim());
      current = h[1];
      buf = [];
    } else if (current) buf.push(line);
  }
  if (current) out.set(current, buf.join('\n').trim());
  return out;
}

/** Fenced code blocks (```c / ```cpp) in a section, with their language. */
export function codeBlocks(section) {
  const out = [];
  const re = /^```(c|cpp|c\+\+)?[^\n]*\n([\s\S]*?)^```/gm;
  let m;
  while ((m = re.exec(section ?? ''))) out.push({ lang: m[1] === 'c' || !m[1] ? 'c' : 'cpp', code: m[2] });
  return out;
}

/**
 * `sub-kinds: { deprecated-allocator: ["28751", C28751], ... }`: the rule's separately numbered checks and the
 * aliases that stand for each. An alias names either the whole rule (`aliases`) or checks, never both.
 */
function parseSubKinds(value, ruleAliases, errors) {
  if (value === undefined) return [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    errors.push('"sub-kinds" must map each check to its list of aliases');
    return [];
  }
  const whole = new Set(ruleAliases.map((a) => String(a).toLowerCase()));
  const out = [];
  for (const [id, aliases] of Object.entries(value)) {
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(id)) errors.push(`sub-kind "${id}" is not kebab-case`);
    const list = aliases ?? [];
    if (!Array.isArray(list)) {
      errors.push(`sub-kind "${id}" must list its aliases`);
      continue;
    }
    for (const a of list) if (whole.has(String(a).toLowerCase())) errors.push(`alias "${a}" names both the whole rule and sub-kind "${id}"`);
    out.push({ id, aliases: list.map(String) });
  }
  return out;
}

export function parseRuleDoc(text, folder) {
  const errors = [];
  const { front, body } = splitFrontMatter(text);
  let fm = {};
  try {
    fm = front ? parseYaml(front) ?? {} : {};
  } catch (e) {
    errors.push(`front matter is not valid YAML: ${e.message}`);
  }
  if (!front) errors.push('no front matter');
  for (const k of REQUIRED) if (fm[k] === undefined) errors.push(`front matter lacks "${k}"`);
  const [fid, ...slug] = folder.split('-');
  if (fm.id !== fid) errors.push(`id "${fm.id}" does not match folder ${folder}`);
  if (fm.name !== slug.join('-')) errors.push(`name "${fm.name}" does not match folder ${folder}`);
  if (!['error', 'warning', 'note'].includes(fm.severity)) errors.push(`severity must be error|warning|note`);
  if (!['syntactic', 'dataflow'].includes(fm.level)) errors.push('level must be syntactic|dataflow');
  if (!['safe', 'unsafe', 'none'].includes(fm.fixable)) errors.push('fixable must be safe|unsafe|none');
  const subKinds = parseSubKinds(fm['sub-kinds'], fm.aliases ?? [], errors);
  const secs = sections(body);
  for (const s of [SECTIONS.why, SECTIONS.incorrect, SECTIONS.correct, SECTIONS.saferFix]) {
    if (!secs.get(s)) errors.push(`doc lacks a "## ${s}" section`);
  }
  if (secs.has(SECTIONS.incorrect) && codeBlocks(secs.get(SECTIONS.incorrect)).length === 0) errors.push('"Incorrect" has no code example');
  if (secs.has(SECTIONS.correct) && codeBlocks(secs.get(SECTIONS.correct)).length === 0) errors.push('"Correct" has no code example');
  const meta = {
    id: fm.id,
    name: fm.name,
    summary: fm.summary,
    severity: fm.severity,
    category: fm.category,
    cwe: fm.cwe ?? [],
    precision: fm.precision,
    level: fm.level,
    fixable: fm.fixable,
    anchors: fm.anchors ?? [],
    aliases: fm.aliases ?? [],
    subKinds,
    securitySeverity: fm['security-severity'],
    enabledByDefault: fm.enabled !== false,
  };
  const docs = {
    markdown: body.trim(),
    why: secs.get(SECTIONS.why) ?? '',
    saferFix: secs.get(SECTIONS.saferFix) ?? '',
    userModeAlternative: secs.get(SECTIONS.userMode) || undefined,
  };
  return { meta, docs, errors };
}
