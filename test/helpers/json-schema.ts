// A small JSON Schema (draft 2020-12) validator for the subset docs/*.schema.json use:
// type (with arrays), const, enum, required, properties, additionalProperties, items,
// minItems, maxItems, minimum, maximum, pattern, $ref (local), allOf, oneOf, anyOf, if/then.
// Returns the list of violations ([] when valid).
type Schema = Record<string, unknown> | boolean;

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function matchesType(v: unknown, t: string): boolean {
  const actual = typeOf(v);
  return actual === t || (t === 'number' && actual === 'integer');
}

export function validate(root: Schema, value: unknown): string[] {
  const errors: string[] = [];
  const resolve = (ref: string): Schema => {
    if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
    let node: unknown = root;
    for (const part of ref.slice(2).split('/')) node = (node as Record<string, unknown>)[part];
    if (node === undefined) throw new Error(`unresolved $ref ${ref}`);
    return node as Schema;
  };
  const check = (schema: Schema, v: unknown, path: string, out: string[]): void => {
    if (schema === true) return;
    if (schema === false) {
      out.push(`${path}: not allowed`);
      return;
    }
    const s = schema as Record<string, unknown>;
    if (typeof s.$ref === 'string') check(resolve(s.$ref), v, path, out);
    if (s.type !== undefined) {
      const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
      if (!types.some((t) => matchesType(v, t))) {
        out.push(`${path}: expected ${types.join('|')}, got ${typeOf(v)}`);
        return;
      }
    }
    if ('const' in s && JSON.stringify(s.const) !== JSON.stringify(v)) out.push(`${path}: expected ${JSON.stringify(s.const)}`);
    if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) {
      out.push(`${path}: ${JSON.stringify(v)} not in ${JSON.stringify(s.enum)}`);
    }
    if (typeof v === 'number') {
      if (typeof s.minimum === 'number' && v < s.minimum) out.push(`${path}: ${v} < ${s.minimum}`);
      if (typeof s.maximum === 'number' && v > s.maximum) out.push(`${path}: ${v} > ${s.maximum}`);
    }
    if (typeof v === 'string' && typeof s.pattern === 'string' && !new RegExp(s.pattern).test(v)) {
      out.push(`${path}: does not match ${s.pattern}`);
    }
    if (Array.isArray(v)) {
      if (typeof s.minItems === 'number' && v.length < s.minItems) out.push(`${path}: fewer than ${s.minItems} items`);
      if (typeof s.maxItems === 'number' && v.length > s.maxItems) out.push(`${path}: more than ${s.maxItems} items`);
      if (s.items !== undefined) v.forEach((item, i) => check(s.items as Schema, item, `${path}[${i}]`, out));
    }
    if (typeOf(v) === 'object') {
      const obj = v as Record<string, unknown>;
      for (const key of (s.required as string[] | undefined) ?? []) if (!(key in obj)) out.push(`${path}: missing ${key}`);
      const props = (s.properties as Record<string, Schema> | undefined) ?? {};
      for (const [key, val] of Object.entries(obj)) {
        if (key in props) check(props[key], val, `${path}.${key}`, out);
        else if (s.additionalProperties !== undefined) check(s.additionalProperties as Schema, val, `${path}.${key}`, out);
      }
    }
    for (const sub of (s.allOf as Schema[] | undefined) ?? []) check(sub, v, path, out);
    if (Array.isArray(s.anyOf) && !s.anyOf.some((sub) => trial(sub as Schema, v, path))) out.push(`${path}: matches none of anyOf`);
    if (Array.isArray(s.oneOf)) {
      const n = s.oneOf.filter((sub) => trial(sub as Schema, v, path)).length;
      if (n !== 1) out.push(`${path}: matches ${n} of oneOf (expected 1)`);
    }
    if (s.if !== undefined && trial(s.if as Schema, v, path)) {
      if (s.then !== undefined) check(s.then as Schema, v, path, out);
    }
  };
  const trial = (schema: Schema, v: unknown, path: string): boolean => {
    const scratch: string[] = [];
    check(schema, v, path, scratch);
    return scratch.length === 0;
  };
  check(root, value, '$', errors);
  return errors;
}
