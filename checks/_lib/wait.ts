/** Waiting for AWS to finish something (a snapshot, an image): polled, bounded, stoppable. */
import type { FixContext } from './fixes.ts';

const POLL_MS = 10_000;
const LIMIT_MS = 60 * 60_000;

/** Polls `done` until it says true; throws after an hour, or when the context's signal stops the apply. */
async function waitFor(ctx: FixContext, what: string, done: () => Promise<boolean>): Promise<void> {
  for (let waited = 0; ; waited += POLL_MS) {
    ctx.signal?.throwIfAborted();
    if (await done()) return;
    if (waited >= LIMIT_MS) throw new Error(`${what} was not ready after ${LIMIT_MS / 60_000} minutes`);
    await ctx.sleep(POLL_MS);
  }
}

/**
 * Waits until what `state` reads is `ready`; `failed` (AWS gave up making it) throws, saying what was kept.
 */
export async function waitForState(
  ctx: FixContext,
  what: string,
  state: () => Promise<string | undefined>,
  states: { readonly ready: string; readonly failed: string; readonly kept: string },
): Promise<void> {
  await waitFor(ctx, what, async () => {
    const now = await state();
    if (now === states.failed) throw new Error(`${what} failed; ${states.kept} was kept`);
    return now === states.ready;
  });
}
