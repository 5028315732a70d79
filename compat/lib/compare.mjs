/**
 * Compares a weft answer with Mastra's for the same call: every field Mastra's answer has must be in
 * weft's with the same (normalised) value, except the fields listed in `allowed` (documented
 * differences, each with its reason). weft may add fields. Returns the list of mismatches.
 */
export function covers(mastra, weft, allowed = [], path = '') {
  const skip = allowed.some((a) => (a instanceof RegExp ? a.test(path) : a === path));
  if (skip) return [];
  if (Array.isArray(mastra)) {
    if (!Array.isArray(weft)) return [`${path}: expected an array, got ${JSON.stringify(weft)?.slice(0, 80)}`];
    if (mastra.length !== weft.length) return [`${path}: ${mastra.length} items in Mastra's answer, ${weft.length} in weft's`];
    return mastra.flatMap((m, i) => covers(m, weft[i], allowed, `${path}[${i}]`));
  }
  if (mastra && typeof mastra === 'object') {
    if (!weft || typeof weft !== 'object' || Array.isArray(weft)) return [`${path}: expected an object, got ${JSON.stringify(weft)?.slice(0, 80)}`];
    return Object.keys(mastra).flatMap((k) => {
      const p = path ? `${path}.${k}` : k;
      if (!(k in weft) && !allowed.some((a) => (a instanceof RegExp ? a.test(p) : a === p))) return [`${p}: missing in weft's answer (Mastra: ${JSON.stringify(mastra[k])?.slice(0, 80)})`];
      return covers(mastra[k], weft[k], allowed, p);
    });
  }
  return mastra === weft ? [] : [`${path}: Mastra ${JSON.stringify(mastra)?.slice(0, 80)}, weft ${JSON.stringify(weft)?.slice(0, 80)}`];
}
