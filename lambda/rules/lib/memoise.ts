/**
 * A string function remembered for the strings it has seen. The rules run for every pod of a
 * cluster and see the same few paths and images over and over; the memory is bounded all the
 * same (cleared past `limit` entries), since the input comes from a cluster.
 */
export function memoise(compute: (input: string) => string, limit = 10_000): (input: string) => string {
  const seen = new Map<string, string>();
  return (input) => {
    let output = seen.get(input);
    if (output === undefined) {
      output = compute(input);
      if (seen.size >= limit) seen.clear();
      seen.set(input, output);
    }
    return output;
  };
}

/**
 * A function of an object remembered for as long as the object lives: what several rules ask
 * of one pod spec, ConfigMap or node is worked out once, and dropped with the object.
 */
export function perObject<K extends object, V>(compute: (key: K) => V): (key: K) => V {
  const seen = new WeakMap<K, V>();
  return (key) => {
    const known = seen.get(key);
    if (known !== undefined || seen.has(key)) return known as V;
    const value = compute(key);
    seen.set(key, value);
    return value;
  };
}
