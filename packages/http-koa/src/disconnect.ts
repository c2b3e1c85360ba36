import type { ServerResponse } from 'node:http';

/** An AbortSignal that aborts when the client goes away before the response is sent. */
export function abortOnDisconnect(res: ServerResponse): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) controller.abort(new Error('The client disconnected.'));
  };
  res.once('close', onClose);
  return { signal: controller.signal, release: () => res.off('close', onClose) };
}
