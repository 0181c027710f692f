/**
 * Summary statistics shared by the benchmarks. Benchmarks report medians of several alternating
 * runs: a median ignores the odd run that a GC pause or a neighbour's burst of CPU slowed down.
 */

/** The median of `values`; the mean of the two middle values when their count is even. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * How far the runs spread around their median: (max - min) / median. A spread of 0.05 means the
 * slowest run took 5% of the median longer than the fastest; compare it with the margin by
 * which a target was met or missed before trusting the verdict.
 */
export function relativeSpread(values: readonly number[]): number {
  const middle = median(values);
  return (Math.max(...values) - Math.min(...values)) / middle;
}

/** `items` rotated left by `by` places; used to give every contender every position in turn. */
export function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = ((by % items.length) + items.length) % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}
