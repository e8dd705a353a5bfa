import { AstNode, child, countErrors, descendants, nodeText, walk } from '../ast';
import type { Annotation } from '../parse/mask';
import type { ParsedFile } from '../parse/parse';

export interface ParamInfo {
  readonly index: number;
  /** Empty for unnamed parameters. */
  readonly name: string;
  readonly typeText: string;
  readonly node: AstNode;
  /** SAL annotations written on this parameter (masked out of the parse, kept here). */
  readonly annotations: readonly Annotation[];
}

export interface FunctionInfo {
  /** Plain name (`Dispatch`, or `Method` for `Class::Method`). */
  readonly name: string;
  /** Name with C++ scope, e.g. `Parser::ReadField`. */
  readonly qualifiedName: string;
  readonly node: AstNode;
  readonly body: AstNode;
  readonly params: readonly ParamInfo[];
  /** Annotations before the function (return and function annotations such as `_IRQL_requires_max_`). */
  readonly annotations: readonly Annotation[];
  /** ERROR/MISSING nodes inside the function. */
  readonly errorCount: number;
  /** Too damaged for data-flow rules (see `isDamaged`). */
  readonly damaged: boolean;
}

/** A function is too damaged for data flow when errors cover a noticeable share of its body. */
function isDamaged(body: AstNode, errors: number): boolean {
  if (errors === 0) return false;
  let errorBytes = 0;
  walk(body, (n) => {
    if (n.type === 'ERROR') {
      errorBytes += n.end - n.start;
      return false;
    }
    if (n.missing) errorBytes += 1;
    return true;
  });
  const size = Math.max(1, body.end - body.start);
  return errors > 3 || errorBytes / size > 0.05;
}

function declaratorName(file: ParsedFile, decl: AstNode | undefined): { name: string; qualified: string; params?: AstNode } {
  let d = decl;
  // Walk through pointer/reference/attributed declarators to the function_declarator.
  while (d && d.type !== 'function_declarator') {
    const inner = child(d, 'declarator') ?? d.children.find((c) => c.type.endsWith('declarator'));
    if (!inner || inner === d) break;
    d = inner;
  }
  if (!d || d.type !== 'function_declarator') return { name: '', qualified: '' };
  const nameNode = child(d, 'declarator');
  const params = child(d, 'parameters');
  if (!nameNode) return { name: '', qualified: '', params };
  const qualified = nodeText(file.source, nameNode).replace(/\s+/g, '');
  const last = qualified.split('::').pop() ?? qualified;
  return { name: last, qualified, params };
}

function paramName(file: ParsedFile, decl: AstNode | undefined): string {
  let d = decl;
  while (d) {
    if (d.type === 'identifier') return nodeText(file.source, d);
    const inner: AstNode | undefined = child(d, 'declarator') ?? d.children.find((c) => c.named && (c.type.endsWith('declarator') || c.type === 'identifier'));
    if (!inner || inner === d) return '';
    d = inner;
  }
  return '';
}

/**
 * Annotations lying inside [from, to]. `anns` is in source order (the masking pass emits them so): a binary
 * search keeps this linear overall, where a filter per parameter was quadratic on files with thousands of
 * functions.
 */
function annotationsWithin(anns: readonly Annotation[], from: number, to: number): Annotation[] {
  let lo = 0;
  let hi = anns.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (anns[mid].start < from) lo = mid + 1;
    else hi = mid;
  }
  const out: Annotation[] = [];
  for (let k = lo; k < anns.length && anns[k].start < to; k++) if (anns[k].end <= to) out.push(anns[k]);
  return out;
}

/**
 * What a definition's own text says about it: name and parameters (without their SAL, which the masking pass
 * records per parse with offsets). Remembered per definition node: an editor re-parse takes untouched
 * definitions over (see buildAst), and these answers do not depend on where the definition sits.
 */
interface DefinitionShape {
  readonly name: string;
  readonly qualified: string;
  readonly params: AstNode | undefined;
  readonly parts: readonly { readonly node: AstNode; readonly name: string; readonly typeText: string }[];
}

const shapes = new WeakMap<AstNode, DefinitionShape>();

function shapeOf(file: ParsedFile, def: AstNode): DefinitionShape {
  let shape = shapes.get(def);
  if (shape) return shape;
  const { name, qualified, params } = declaratorName(file, child(def, 'declarator'));
  const parts: { node: AstNode; name: string; typeText: string }[] = [];
  for (const p of params?.children ?? []) {
    if (p.type !== 'parameter_declaration' && p.type !== 'optional_parameter_declaration') continue;
    const typeNode = child(p, 'type');
    parts.push({
      node: p,
      name: paramName(file, child(p, 'declarator')),
      typeText: nodeText(file.source, p).replace(/\s+/g, ' ').trim() || (typeNode ? nodeText(file.source, typeNode) : ''),
    });
  }
  shapes.set(def, (shape = { name, qualified, params, parts }));
  return shape;
}

/** Every function definition in the file, including C++ methods and lambdas' enclosing functions. */
export function collectFunctions(file: ParsedFile): FunctionInfo[] {
  const defs = descendants(file.root, 'function_definition');
  const out: FunctionInfo[] = [];
  let annIndex = 0;
  const anns = file.annotations;
  let prevEnd = 0;
  for (const def of defs) {
    const body = child(def, 'body');
    if (!body) continue;
    const { name, qualified, params, parts } = shapeOf(file, def);
    // SAL sits between the previous parameter (or the opening parenthesis) and this one's type.
    const paramInfos: ParamInfo[] = parts.map((p, i) => ({ index: i, name: p.name, typeText: p.typeText, node: p.node, annotations: annotationsWithin(anns, i === 0 ? params!.start : parts[i - 1].node.end, p.node.end) }));
    while (annIndex < anns.length && anns[annIndex].end <= prevEnd) annIndex++;
    const fnAnns: Annotation[] = [];
    for (let k = annIndex; k < anns.length && anns[k].start < (params?.start ?? body.start); k++) {
      if (anns[k].start >= prevEnd) fnAnns.push(anns[k]);
    }
    prevEnd = def.end;
    const errorCount = countErrors(def);
    out.push({ name, qualifiedName: qualified, node: def, body, params: paramInfos, annotations: fnAnns, errorCount, damaged: isDamaged(body, errorCount) });
  }
  return out;
}
