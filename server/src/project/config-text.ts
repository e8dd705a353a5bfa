/**
 * Parsing config text (JSON or YAML) into plain data plus a way to find the position of any value or key, so
 * that every error can name `file:line:column`. Objects are built with own properties only: a `__proto__` key is
 * an ordinary (and later rejected) key, never a prototype.
 */
import { Node as JsonNode, ParseError, findNodeAtLocation, parseTree, printParseErrorCode } from 'jsonc-parser';
import { isAlias, isMap, isScalar, isSeq, LineCounter, Node as YamlNode, parseDocument } from 'yaml';

export type PathSegment = string | number;

export interface ParsedConfigText {
  readonly value: unknown;
  /** Offset of the value at `path` (or of the key `key` of the object at `path`), if it exists. */
  offsetOf(path: readonly PathSegment[], key?: string): number | undefined;
}

export class ConfigSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

function define(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function jsonValue(node: JsonNode): unknown {
  switch (node.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const prop of node.children ?? []) {
        const [k, v] = prop.children ?? [];
        if (k && v) define(out, String(k.value), jsonValue(v));
      }
      return out;
    }
    case 'array':
      return (node.children ?? []).map(jsonValue);
    default:
      return node.value;
  }
}

function jsonDuplicateKey(node: JsonNode): JsonNode | undefined {
  if (node.type === 'object') {
    const seen = new Set<string>();
    for (const prop of node.children ?? []) {
      const k = prop.children?.[0];
      if (k && seen.has(String(k.value))) return k;
      if (k) seen.add(String(k.value));
    }
  }
  for (const c of node.children ?? []) {
    const d = jsonDuplicateKey(c);
    if (d) return d;
  }
  return undefined;
}

/** Strict JSON (no comments, no trailing commas, no duplicate keys). */
export function parseJsonConfig(text: string): ParsedConfigText {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  if (errors.length || !root) {
    const e = errors[0];
    const what = e ? describeJsonError(printParseErrorCode(e.error)) : 'no JSON value';
    throw new ConfigSyntaxError(`invalid JSON: ${what}`, e?.offset ?? 0);
  }
  const dup = jsonDuplicateKey(root);
  if (dup) throw new ConfigSyntaxError(`invalid JSON: duplicate key "${String(dup.value)}"`, dup.offset);
  return {
    value: jsonValue(root),
    offsetOf(path, key) {
      const node = path.length ? findNodeAtLocation(root, [...path]) : root;
      if (!node) return undefined;
      if (key === undefined) return node.offset;
      const prop = node.type === 'object' ? node.children?.find((p) => p.children?.[0]?.value === key) : undefined;
      return prop?.offset;
    },
  };
}

function describeJsonError(code: string): string {
  const words = code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return words.replace('invalid symbol', 'unexpected character').replace(/^invalid comment token$/, 'comments are not allowed in JSON (use a .kslintrc.yaml for comments)');
}

function yamlValue(node: unknown): unknown {
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const k = isScalar(pair.key) ? pair.key.value : pair.key;
      define(out, String(k), yamlValue(pair.value));
    }
    return out;
  }
  if (isSeq(node)) return node.items.map(yamlValue);
  if (isScalar(node)) return node.value;
  return node ?? null;
}

/** YAML 1.2 (core schema): no custom tags, duplicate keys rejected, alias expansion bounded. */
export function parseYamlConfig(text: string): ParsedConfigText {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true, customTags: [] });
  const err = doc.errors[0];
  if (err) throw new ConfigSyntaxError(`invalid YAML: ${err.message.split('\n')[0]}`, err.pos[0]);
  if (doc.contents && hasAlias(doc.contents)) {
    // Anchors and aliases are legal YAML, but nothing here needs them and expanding them costs memory.
    throw new ConfigSyntaxError('invalid config: YAML anchors and aliases are not supported', 0);
  }
  return {
    value: yamlValue(doc.contents),
    offsetOf(path, key) {
      const node = (path.length ? doc.getIn([...path], true) : doc.contents) as YamlNode | undefined;
      if (!node || typeof node !== 'object') return undefined;
      if (key === undefined) return node.range?.[0];
      if (!isMap(node)) return undefined;
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : undefined) === key);
      return pair && isScalar(pair.key) ? pair.key.range?.[0] : undefined;
    },
  };
}

function hasAlias(node: unknown): boolean {
  if (isMap(node)) return node.items.some((p) => hasAlias(p.key) || hasAlias(p.value));
  if (isSeq(node)) return node.items.some(hasAlias);
  return isAlias(node);
}
