import type { Answers, Push, Request, WorkerMessage, WorkerStatus } from './messages.js';

/** Requests to the training worker as promises; pushed statuses go to `onStatus`. */
export class WorkerClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();

  constructor(
    private readonly worker: Worker,
    private readonly onStatus: (status: WorkerStatus) => void,
    onCrash: (message: string) => void,
  ) {
    worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
      const message = event.data;
      if (message.type === 'status') {
        this.onStatus((message as Push).status);
        return;
      }
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      if (message.ok) waiting.resolve(message.value);
      else waiting.reject(new Error(message.error));
    };
    worker.onerror = (event) => {
      const message = `the training worker failed: ${event.message || 'unknown error'}`;
      for (const waiting of this.pending.values()) waiting.reject(new Error(message));
      this.pending.clear();
      onCrash(message);
    };
  }

  request<T extends Request['type']>(request: Extract<Request, { type: T }>, transfer: Transferable[] = []): Promise<Answers[T]> {
    const id = this.nextId++;
    return new Promise<Answers[T]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ id, request }, transfer);
    });
  }
}
