/**
 * A Python exception raised by a τ-bench tool. τ-bench's `Env.step` catches every exception a
 * tool raises and hands the model `f"Error: {e}"`, so a tool written here throws this with the
 * text Python's `str(exception)` would have, and the environment turns it into the same output.
 */
export class PythonError extends Error {
  /** The Python exception class (`KeyError`, `TypeError`, ...): for tests and logs only. */
  readonly pythonType: string;

  constructor(pythonType: string, message: string) {
    super(message);
    this.name = 'PythonError';
    this.pythonType = pythonType;
  }
}
