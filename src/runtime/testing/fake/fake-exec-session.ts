// An interactive command in a fake container: scripted per test (FakeBehaviour.session), else the container's
// scripted `exec` answer written out once its input ends, as a command that reads no input would.
import type {
  ExecResult,
  ExecSession,
  ExecSessionOptions,
  OutputStream,
  TerminalSize,
} from "../../runtime.js";

/** What a scripted session can do: write output and end with a code. */
export interface FakeSessionContext {
  argv: string[];
  tty: boolean;
  size: TerminalSize | undefined;
  out(text: string, stream?: OutputStream): void;
  exit(code: number): void;
}

/** How a scripted command reacts to its input, end of input and resizes. */
export interface FakeSessionScript {
  onInput?(text: string, context: FakeSessionContext): void;
  onEndOfInput?(context: FakeSessionContext): void;
  onResize?(size: TerminalSize, context: FakeSessionContext): void;
}

export function fakeExecSession(
  argv: string[],
  options: ExecSessionOptions,
  script: FakeSessionScript | undefined,
  answer: (argv: string[]) => ExecResult,
): ExecSession {
  let finish: (code: number | undefined) => void = () => {};
  const exitCode = new Promise<number | undefined>((resolve) => {
    finish = resolve;
  });
  let done = false;
  const context: FakeSessionContext = {
    argv,
    tty: options.tty ?? false,
    size: options.size,
    out(text, stream = "stdout") {
      if (!done) options.onOutput({ stream: context.tty ? "stdout" : stream, data: Buffer.from(text) });
    },
    exit(code) {
      if (done) return;
      done = true;
      finish(code);
    },
  };
  const effective: FakeSessionScript = script ?? {
    onEndOfInput(ctx) {
      const result = answer(argv);
      ctx.out(result.output);
      ctx.exit(result.exitCode);
    },
  };
  // A command given no stdin reads end of file at once.
  if (!options.stdin) queueMicrotask(() => effective.onEndOfInput?.(context));
  return {
    write(data) {
      if (!done && options.stdin) effective.onInput?.(data.toString("utf8"), context);
    },
    endInput() {
      if (!done) effective.onEndOfInput?.(context);
    },
    async resize(size) {
      context.size = size;
      if (!done && context.tty) effective.onResize?.(size, context);
    },
    exitCode,
    close() {
      if (done) return;
      done = true;
      finish(undefined);
    },
  };
}
