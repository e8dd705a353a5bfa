/**
 * Parsing config text (JSON or YAML) into plain data plus a way to find the position of any value or key, so
 * that every error can name `file:line:column`. Objects are built with own properties only: a `__proto__` key is
 * an ordinary (and later rejected) key, never a prototype.
 */
import type * as YamlModule from 'yaml';
import type { Node as YamlNode } from 'yaml';

let yamlModule: typeof YamlModule | undefined;
/** The YAML library, loaded on first use: most projects have a JSON config or none, and loading it costs a run ~45 ms. */
function yaml(): typeof YamlModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (yamlModule ??= require('yaml') as typeof YamlModule);
}

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

/** A JSON value with the offsets of itself and, for objects, of each key. */
interface JsonNode {
  readonly offset: number;
  readonly value: unknown;
  readonly items?: JsonNode[];
  readonly props?: Map<string, { readonly keyOffset: number; readonly node: JsonNode }>;
}

const COMMENTS = 'comments are not allowed in JSON (use a .kslintrc.yaml for comments)';
const LITERAL = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null/y;

/**
 * A strict JSON reader (RFC 8259: no comments, no trailing commas; duplicate keys rejected) that keeps offsets, so
 * that schema errors can point into the file. Config files are small and are only ever read as data.
 */
class JsonReader {
  private i = 0;

  constructor(private readonly text: string) {}

  private fail(message: string, at = this.i): never {
    throw new ConfigSyntaxError(`invalid JSON: ${message}`, at);
  }

  private ws(): void {
    const t = this.text;
    while (this.i < t.length && (t[this.i] === ' ' || t[this.i] === '\t' || t[this.i] === '\n' || t[this.i] === '\r')) this.i++;
  }

  private atComment(): boolean {
    return this.text.startsWith('//', this.i) || this.text.startsWith('/*', this.i);
  }

  document(): JsonNode {
    this.ws();
    if (this.i >= this.text.length) this.fail('the file is empty (write {} for no settings)');
    const v = this.value(0);
    this.ws();
    if (this.i < this.text.length) this.fail(this.atComment() ? COMMENTS : 'unexpected text after the value');
    return v;
  }

  private value(depth: number): JsonNode {
    if (depth > 64) this.fail('nested too deeply');
    this.ws();
    const c = this.text[this.i];
    const offset = this.i;
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return { offset, value: this.string() };
    LITERAL.lastIndex = this.i;
    const m = LITERAL.exec(this.text);
    if (!m) {
      if (this.atComment()) this.fail(COMMENTS);
      this.fail(c === undefined ? 'unexpected end of the file' : `unexpected character ${JSON.stringify(c)}`);
    }
    this.i += m[0].length;
    return { offset, value: JSON.parse(m[0]) as unknown };
  }

  private string(): string {
    const t = this.text;
    const start = this.i++;
    while (this.i < t.length && t[this.i] !== '"') {
      if (t.charCodeAt(this.i) < 0x20) this.fail('control character in a string');
      this.i += t[this.i] === '\\' ? 2 : 1;
    }
    if (this.i >= t.length) this.fail('unterminated string', start);
    this.i++;
    try {
      return JSON.parse(t.slice(start, this.i)) as string;
    } catch {
      return this.fail('invalid escape in a string', start);
    }
  }

  private expect(ch: string, what: string): void {
    this.ws();
    if (this.text[this.i] !== ch) this.fail(this.atComment() ? COMMENTS : `${what} expected`);
    this.i++;
  }

  private object(depth: number): JsonNode {
    const offset = this.i++;
    const value: Record<string, unknown> = {};
    const props = new Map<string, { keyOffset: number; node: JsonNode }>();
    this.ws();
    if (this.text[this.i] === '}') {
      this.i++;
      return { offset, value, props };
    }
    for (;;) {
      this.ws();
      const keyOffset = this.i;
      if (this.text[this.i] !== '"') this.fail(this.atComment() ? COMMENTS : this.text[this.i] === '}' ? 'trailing comma before }' : 'property name (in double quotes) expected');
      const key = this.string();
      if (props.has(key)) this.fail(`duplicate key "${key}"`, keyOffset);
      this.expect(':', 'colon');
      const node = this.value(depth + 1);
      props.set(key, { keyOffset, node });
      define(value, key, node.value);
      this.ws();
      if (this.text[this.i] !== ',') {
        this.expect('}', 'comma or }');
        return { offset, value, props };
      }
      this.i++;
    }
  }

  private array(depth: number): JsonNode {
    const offset = this.i++;
    const items: JsonNode[] = [];
    this.ws();
    if (this.text[this.i] === ']') {
      this.i++;
      return { offset, value: [], items };
    }
    for (;;) {
      this.ws();
      if (this.text[this.i] === ']') this.fail('trailing comma before ]');
      items.push(this.value(depth + 1));
      this.ws();
      if (this.text[this.i] !== ',') {
        this.expect(']', 'comma or ]');
        return { offset, value: items.map((n) => n.value), items };
      }
      this.i++;
    }
  }
}

/** Strict JSON (no comments, no trailing commas, no duplicate keys). */
export function parseJsonConfig(text: string): ParsedConfigText {
  const root = new JsonReader(text).document();
  const find = (path: readonly PathSegment[]): JsonNode | undefined => {
    let n: JsonNode | undefined = root;
    for (const seg of path) n = typeof seg === 'number' ? n?.items?.[seg] : n?.props?.get(seg)?.node;
    return n;
  };
  return {
    value: root.value,
    offsetOf(path, key) {
      const node = find(path);
      if (!node) return undefined;
      return key === undefined ? node.offset : node.props?.get(key)?.keyOffset;
    },
  };
}

function yamlValue(node: unknown): unknown {
  if (yaml().isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const k = yaml().isScalar(pair.key) ? pair.key.value : pair.key;
      define(out, String(k), yamlValue(pair.value));
    }
    return out;
  }
  if (yaml().isSeq(node)) return node.items.map(yamlValue);
  if (yaml().isScalar(node)) return node.value;
  return node ?? null;
}

/** YAML 1.2 (core schema): no custom tags, duplicate keys rejected, alias expansion bounded. */
export function parseYamlConfig(text: string): ParsedConfigText {
  const lineCounter = new (yaml().LineCounter)();
  const doc = yaml().parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true, customTags: [] });
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
      if (!yaml().isMap(node)) return undefined;
      const pair = node.items.find((p) => (yaml().isScalar(p.key) ? String(p.key.value) : undefined) === key);
      return pair && yaml().isScalar(pair.key) ? pair.key.range?.[0] : undefined;
    },
  };
}

function hasAlias(node: unknown): boolean {
  if (yaml().isMap(node)) return node.items.some((p) => hasAlias(p.key) || hasAlias(p.value));
  if (yaml().isSeq(node)) return node.items.some(hasAlias);
  return yaml().isAlias(node);
}
