import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { paths } from '../paths';

/**
 * MJML compiled in a process of its own that ends after a quiet spell. MJML and what it
 * loads hold about 40 MB for as long as they live, and a thread's share of it is not given
 * back when the thread ends; a sender spends hours personalising a digest compiled once, so
 * the compiler should not stay resident. Messages rendered in a burst (a digest's variants,
 * an import's confirmations) share one process; the next burst starts a new one (about
 * half a second).
 */

export interface CompiledMjml {
  html: string;
  /** MJML's validation messages, formatted. */
  errors: string[];
}

interface Reply {
  id?: number;
  html?: string;
  errors?: string[];
  failure?: string;
}

/** How long an idle compiler waits for more work before it ends. */
const IDLE_MS = 15_000;
const compilerFile = path.join(paths.source, 'mail', 'mjml-worker.mjs');

/** Whether a child keeps this process alive: only while something waits for it. */
function hold(child: ChildProcess, busy: boolean) {
  if (busy) {
    child.ref();
    child.channel?.ref();
  } else {
    child.unref();
    child.channel?.unref();
  }
}

export function createMjmlCompiler(options: { idleMs?: number } = {}) {
  const idleMs = options.idleMs ?? IDLE_MS;
  let compiler: ChildProcess | null = null;
  let idleTimer: NodeJS.Timeout | null = null;
  let nextId = 0;
  const waiting = new Map<number, { resolve: (value: CompiledMjml) => void; reject: (err: Error) => void }>();

  function failAll(err: Error) {
    for (const { reject } of waiting.values()) reject(err);
    waiting.clear();
  }

  function compilerProcess(): ChildProcess {
    if (compiler) return compiler;
    // No inherited flags: the compiler needs neither tsx nor the sender's heap settings.
    const child = fork(compilerFile, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (reply: Reply) => {
      if (reply.id === undefined) return;
      const pending = waiting.get(reply.id);
      if (!pending) return;
      waiting.delete(reply.id);
      if (reply.failure !== undefined) pending.reject(new Error(reply.failure));
      else pending.resolve({ html: reply.html ?? '', errors: reply.errors ?? [] });
      if (!waiting.size) idle(child);
    });
    const gone = (why: string) => {
      if (compiler === child) compiler = null;
      if (waiting.size) failAll(new Error(`the MJML compiler stopped (${why})`));
    };
    child.on('error', (err) => gone(err.message));
    child.on('exit', (code, signal) => gone(signal ?? `exit code ${code}`));
    compiler = child;
    return child;
  }

  /** Nothing in flight: the compiler ends unless used again soon. */
  function idle(child: ChildProcess) {
    hold(child, false);
    idleTimer = setTimeout(() => {
      idleTimer = null;
      if (compiler === child && !waiting.size) {
        compiler = null;
        child.kill();
      }
    }, idleMs);
    idleTimer.unref();
  }

  return {
    compile(markup: string, compileOptions: { validationLevel: 'strict' | 'soft'; filePath: string }): Promise<CompiledMjml> {
      const child = compilerProcess();
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = null;
      hold(child, true);
      const id = ++nextId;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        child.send({ id, markup, options: compileOptions });
      });
    },
    /** The compiler's process id while one runs (tests watch it come and go). */
    get pid(): number | null {
      return compiler?.pid ?? null;
    },
  };
}

export type MjmlCompiler = ReturnType<typeof createMjmlCompiler>;

/** The process-wide compiler every email's rendering uses. */
export const mjmlCompiler = createMjmlCompiler();
