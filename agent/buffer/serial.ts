/**
 * Runs async tasks one at a time, in call order. A DuckDB connection runs one
 * query at a time, so every task on a connection goes through one of these.
 *
 * @module
 */

/** A FIFO of async tasks that never overlap. */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  /**
   * Runs `task` after every task queued before it has settled; resolves or
   * rejects with the task's own outcome. A failed task does not stop the queue.
   *
   * @example
   * ```ts
   * const queue = new SerialQueue();
   * await Promise.all([queue.run(async () => 1), queue.run(async () => 2)]);
   * ```
   */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task);
    this.#tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once every task queued so far has settled. */
  async idle(): Promise<void> {
    await this.#tail;
  }
}
