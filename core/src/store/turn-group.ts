/**
 * Group commit per turn of the event loop: the items a process receives in one turn go to `run` as one
 * group at the end of the turn (setImmediate), so a store write is made once per group instead of once
 * per item. It adds no wait beyond the turn. `run` answers the items in order; if it throws, every item
 * of the group is rejected with that error.
 */
export function groupPerTurn<T, R>(run: (items: T[]) => R[] | Promise<R[]>): (item: T) => Promise<R> {
  let group: { item: T; resolve: (r: R) => void; reject: (err: unknown) => void }[] = [];
  const flush = async () => {
    const taken = group;
    group = [];
    try {
      const results = await run(taken.map((g) => g.item));
      taken.forEach((g, i) => g.resolve(results[i]!));
    } catch (err) {
      for (const g of taken) g.reject(err);
    }
  };
  return (item) =>
    new Promise<R>((resolve, reject) => {
      if (group.push({ item, resolve, reject }) === 1) setImmediate(() => void flush());
    });
}
