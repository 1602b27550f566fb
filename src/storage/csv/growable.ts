/**
 * Growable typed-array columns: the loaders append one number per row without creating an
 * object per row, then take a trimmed copy (or a reordered copy) when the file is read.
 * Capacity doubles, so appending n values costs O(n) amortised.
 */

type TypedArray = Int32Array | Float64Array | Uint8Array;
type TypedArrayCtor<T extends TypedArray> = new (length: number) => T;

/** One zero-length array per kind, shared by the columns that have no values yet (it cannot be written). */
const EMPTY = new Map<TypedArrayCtor<TypedArray>, TypedArray>();

function empty<T extends TypedArray>(ctor: TypedArrayCtor<T>): T {
  let e = EMPTY.get(ctor);
  if (e === undefined) EMPTY.set(ctor, (e = new ctor(0)));
  return e as T;
}

/**
 * An append-only column of numbers backed by a typed array of the given kind. The array is
 * allocated on the first push (`initialCapacity` values), so a column that gets its values by
 * `adopt` never allocates one.
 */
export class GrowableColumn<T extends TypedArray> {
  private data: T;
  length = 0;

  constructor(
    private readonly ctor: TypedArrayCtor<T>,
    private readonly initialCapacity = 16,
  ) {
    this.data = empty(ctor);
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new this.ctor(Math.max(this.initialCapacity, 4, this.data.length * 2));
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }

  get(index: number): number {
    return this.data[index] as number;
  }

  /**
   * Makes `data` the column's values (no copy; it may be a view of a larger array): for rows
   * read in bulk elsewhere, which nothing else writes afterwards. A later push first copies
   * them into a larger array of the column's own.
   */
  adopt(data: T): void {
    this.data = data;
    this.length = data.length;
  }

  /** The appended values as a view (no copy), valid until the next push. */
  view(): T {
    return this.data.subarray(0, this.length) as T;
  }

  /** A copy holding exactly the appended values. */
  toArray(): T {
    return this.data.slice(0, this.length) as T;
  }

  /** A copy holding the values at the given indices, in that order. */
  pick(order: ArrayLike<number>): T {
    const out = new this.ctor(order.length);
    for (let i = 0; i < order.length; i++) out[i] = this.data[order[i] as number] as number;
    return out;
  }
}

/**
 * The bytes behind typed-array columns that may be posted to worker threads: a SharedArrayBuffer
 * when `shared` (every thread reads the one copy), else an ArrayBuffer.
 */
export function columnBuffer(bytes: number, shared: boolean): ArrayBuffer | SharedArrayBuffer {
  return shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
}

export const int32Column = (capacity?: number): GrowableColumn<Int32Array> => new GrowableColumn(Int32Array, capacity);
export const float64Column = (capacity?: number): GrowableColumn<Float64Array> =>
  new GrowableColumn(Float64Array, capacity);
export const uint8Column = (capacity?: number): GrowableColumn<Uint8Array> => new GrowableColumn(Uint8Array, capacity);

/**
 * Indices 0..n-1 ordered by ascending key, ties kept in input order (so the earlier line of two
 * rows with the same date comes first). Returns undefined when the keys are already ascending
 * (non-decreasing), the usual case for exported files, so no index array is allocated.
 */
export function ascendingOrder(keys: ArrayLike<number>): Uint32Array | undefined {
  const n = keys.length;
  let sorted = true;
  for (let i = 1; i < n; i++) {
    if ((keys[i] as number) < (keys[i - 1] as number)) {
      sorted = false;
      break;
    }
  }
  if (sorted) return undefined;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => (keys[a] as number) - (keys[b] as number) || a - b);
  return order;
}
