// Errors raised while building IR from the language. They carry no location: the frontend, which knows
// which expression it was compiling, adds the file, line and column (see frontend/diagnostics.ts).

export class SemanticError extends Error {
  constructor(
    message: string,
    /** What the user can do about it. */
    readonly hint?: string,
  ) {
    super(message);
  }
}
