/**
 * When each commit happened, as time travel by timestamp and log retention see it: in-commit
 * timestamps where the table has them, else commit file times made strictly increasing the way
 * Delta does (a commit whose file time is not after its predecessor's counts as 1 ms later).
 */
import type { ObjectStore } from '../storage/object-store.js';
import { readCommitActions } from './log-reader.js';
import type { CommitFile } from './log-segment.js';

/**
 * Commit times by position in the commit list, read lazily: in-commit timestamps need the commit
 * file, and a binary search reads only a few. In-commit timestamps, once enabled, stay enabled,
 * so the commits that have them are a suffix of the log.
 */
export class CommitTimes {
  private readonly cache = new Map<number, number | undefined>();

  private constructor(
    private readonly store: ObjectStore,
    private readonly commits: readonly CommitFile[],
    private readonly fileTimes: readonly number[],
    /** Index of the first commit with an in-commit timestamp (commits.length when none). */
    private readonly ictStart: number,
  ) {}

  static async of(store: ObjectStore, commits: readonly CommitFile[]): Promise<CommitTimes> {
    const fileTimes: number[] = [];
    for (const commit of commits) {
      const time = commit.lastModified.getTime();
      fileTimes.push(fileTimes.length > 0 && time <= fileTimes.at(-1)! ? fileTimes.at(-1)! + 1 : time);
    }
    const times = new CommitTimes(store, commits, fileTimes, commits.length);
    if ((await times.inCommitTimestamp(commits.length - 1)) === undefined) return times;
    let low = 0;
    let high = commits.length - 1; // has one
    while (low < high) {
      const mid = Math.floor((low + high) / 2);
      if ((await times.inCommitTimestamp(mid)) === undefined) low = mid + 1;
      else high = mid;
    }
    return new CommitTimes(store, commits, fileTimes, low);
  }

  async at(index: number): Promise<number> {
    if (index < this.ictStart) return this.fileTimes[index]!;
    return (await this.inCommitTimestamp(index)) ?? this.fileTimes[index]!;
  }

  /** Index of the last commit at or before `timestamp`; -1 when every commit is later. */
  async lastAtOrBefore(timestamp: number): Promise<number> {
    if (this.commits.length === 0 || (await this.at(0)) > timestamp) return -1;
    let low = 0; // at(low) <= timestamp
    let high = this.commits.length - 1;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if ((await this.at(mid)) <= timestamp) low = mid;
      else high = mid - 1;
    }
    return low;
  }

  private async inCommitTimestamp(index: number): Promise<number | undefined> {
    if (!this.cache.has(index)) {
      const actions = await readCommitActions(this.store, this.commits[index]!.key);
      const info = actions.find((action) => action.commitInfo !== undefined)?.commitInfo;
      this.cache.set(index, typeof info?.inCommitTimestamp === 'number' ? info.inCommitTimestamp : undefined);
    }
    return this.cache.get(index);
  }
}

