/** The one typed CLI error: a sentence for the user and the exit code a scheduler can act on. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** The run finished, but a checker failed or was not allowed to run. */
  partial: 3,
} as const;

export class CliError extends Error {
  override name = 'CliError';
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.failure, options?: { cause?: unknown }) {
    super(message, options);
    this.exitCode = exitCode;
  }
}
