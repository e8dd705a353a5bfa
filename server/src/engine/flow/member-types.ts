/**
 * Declared types of structure members over the whole project (index/members.ts gives each file's declarations).
 * A member is asked for by a chain: the declared type of the expression it is read from, then the members
 * followed (`PWRITE_WHAT_WHERE->What`, `_HDR*->Body.Len`, see member-chains.ts). A type name may be declared
 * differently in several files (samples of one tree, `#ifdef` variants): every declaration of the structure that
 * has the member must say the same of it, otherwise nothing is known.
 */
import { isWideType, narrowTypeMax } from './types';
import type { MemberDecl, TypeDecl, TypeEntries } from '../index/members';

export interface MemberFact {
  /** The member holds an address (true), surely does not (false), or its type is unknown (null). */
  readonly pointer: boolean | null;
  /** An array inside the structure (`UCHAR Data[16]`): the member's name is an address into the structure itself. */
  readonly array: boolean;
  /** The largest value of an 8- or 16-bit unsigned member. */
  readonly max: number | null;
  /** An integer of 32 bits or more. */
  readonly wide: boolean;
}

/** Answers for a chain: undefined when a type or member is unknown, null when declarations disagree. */
export type MemberLookup = (chain: string) => MemberFact | null | undefined;

/** WDK pointer typedefs (`PULONG_PTR`, `PUNICODE_STRING`, `LPVOID`) of the types they point at. */
const POINTER_TYPEDEF = /^(P|LP|PC|LPC)(VOID|CHAR|UCHAR|STR|WSTR|WCHAR|SHORT|USHORT|LONG|ULONG|LONG_PTR|ULONG_PTR|LONG64|ULONG64|LONGLONG|ULONGLONG|INT|UINT|INT8|UINT8|INT16|UINT16|INT32|UINT32|INT64|UINT64|BYTE|WORD|DWORD|DWORD_PTR|SIZE_T|BOOLEAN|HANDLE|LARGE_INTEGER|ULARGE_INTEGER|UNICODE_STRING|ANSI_STRING|STRING|GUID|MDL|IRP|DEVICE_OBJECT|FILE_OBJECT|EPROCESS|ETHREAD|KEVENT|LIST_ENTRY|IO_STATUS_BLOCK)$/;
/** Scalar types that are surely not addresses. */
const SCALAR = /^(void|char|signed char|unsigned char|short|unsigned short|float|double|bool|BOOL|BOOLEAN|CHAR|UCHAR|SHORT|USHORT|CSHORT|WCHAR|wchar_t|BYTE|WORD|INT8|UINT8|INT16|UINT16|int8_t|uint8_t|int16_t|uint16_t|NTSTATUS|LARGE_INTEGER|ULARGE_INTEGER|GUID)$/;

/** A type a name stands for: a structure (its declarations' members) or another type, with pointer levels. */
interface Leaf {
  readonly name: string;
  readonly records: readonly (readonly MemberDecl[])[] | undefined;
  readonly pointers: number;
}

const CHAIN = /^([A-Za-z_]\w*(?: [A-Za-z_]\w*)*)(\**)((?:(?:->|\.)[A-Za-z_]\w*)+)$/;

/** The lookup over a set of files' declarations; deterministic for any order of `files`. */
export function memberTable(files: readonly TypeEntries[]): MemberLookup {
  const defs = new Map<string, TypeDecl[]>();
  const keys = new Map<string, Set<string>>();
  for (const entries of files) for (const [name, decl] of entries) {
    const json = JSON.stringify(decl);
    let seen = keys.get(name);
    if (!seen) keys.set(name, (seen = new Set()));
    if (seen.has(json)) continue;
    seen.add(json);
    const list = defs.get(name) ?? [];
    list.push(decl);
    defs.set(name, list);
  }
  for (const [name, list] of defs) {
    const order = list.map((d) => [JSON.stringify(d), d] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    defs.set(name, order.map((o) => o[1]));
  }

  const leaves = (name: string, pointers: number, depth = 0): Leaf[] | undefined => {
    const list = defs.get(name);
    if (!list) return [{ name, records: undefined, pointers }];
    if (depth > 8) return undefined;
    const records = list.filter((d): d is { members: readonly MemberDecl[] } => 'members' in d).map((d) => d.members);
    const out: Leaf[] = records.length ? [{ name, records, pointers }] : [];
    for (const d of list) {
      if ('members' in d) continue;
      const more = leaves(d.of, pointers + d.pointers, depth + 1);
      if (!more) return undefined;
      out.push(...more);
    }
    return out;
  };

  const factOf = (m: MemberDecl): { fact: MemberFact; next: Leaf[] | undefined } => {
    const [, type, declared, array] = m;
    const ls = type ? leaves(type, declared) : undefined;
    const total = ls && ls.every((l) => l.pointers === ls[0].pointers) ? ls[0].pointers : undefined;
    let pointer: boolean | null = null;
    if (declared > 0 || (total !== undefined && total > 0)) pointer = true;
    else if (total === 0 && ls!.every((l) => l.records)) pointer = false;
    else if (total === 0 && ls!.length === 1) pointer = POINTER_TYPEDEF.test(ls![0].name) ? true : SCALAR.test(ls![0].name) || narrowTypeMax(ls![0].name) !== undefined || isWideType(ls![0].name) ? false : null;
    const scalar = !array && total === 0 && ls!.length === 1 && !ls![0].records ? ls![0].name : undefined;
    const max = scalar !== undefined ? (narrowTypeMax(scalar) ?? null) : null;
    const fact: MemberFact = { pointer, array, max, wide: scalar !== undefined && isWideType(scalar) };
    return { fact, next: array ? undefined : ls };
  };

  /** The member `name` of every leaf, reached with `->` (one pointer level) or `.` (none). */
  const step = (from: Leaf[], op: string, name: string): { fact: MemberFact | null; next: Leaf[] | undefined } | undefined => {
    const want = op === '->' ? 1 : 0;
    let found: { fact: MemberFact; next: Leaf[] | undefined; json: string } | undefined;
    for (const l of from) {
      if (!l.records || l.pointers !== want) return undefined;
      for (const members of l.records) {
        const m = members.find((x) => x[0] === name);
        if (!m) continue;
        const r = factOf(m);
        const json = JSON.stringify([r.fact, r.next?.map((x) => [x.name, x.pointers])]);
        if (!found) found = { ...r, json };
        else if (found.json !== json) return { fact: null, next: undefined };
      }
    }
    return found;
  };

  const memo = new Map<string, MemberFact | null | undefined>();
  return (chain) => {
    if (memo.has(chain)) return memo.get(chain);
    let answer: MemberFact | null | undefined;
    const m = CHAIN.exec(chain);
    if (m) {
      let at = leaves(m[1], m[2].length);
      const steps = m[3].match(/(->|\.)[A-Za-z_]\w*/g)!;
      for (const [i, s] of steps.entries()) {
        const op = s.startsWith('->') ? '->' : '.';
        const r = at && step(at, op, s.slice(op.length));
        if (!r || r.fact === null) {
          answer = r?.fact;
          break;
        }
        if (i === steps.length - 1) answer = r.fact;
        at = r.next;
      }
    }
    memo.set(chain, answer);
    return answer;
  };
}

/** What KS1102 reads of a fact (the dependency key hashes only this). */
export function memberView(fact: MemberFact | null | undefined): string {
  return fact ? `${fact.pointer}${fact.array ? ' array' : ''}` : String(fact);
}
