// The Windows launcher's decisions against a fake Win32 layer (WindowsOps): which pid each stop
// request is aimed at, which job is added to, terminated and closed, and when a child must not run
// uncontained. Wine runs the real layer (test/integration/windows-launcher.test.ts) but cannot show
// Ctrl+Break, a window that takes WM_CLOSE or a job Windows refuses: those are proved here only.
import { EventEmitter } from 'node:events';
import os from 'node:os';
import { PassThrough } from 'node:stream';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CtrlEvent } from '../../../src/platform/windows/console-control.js';
import { KILL_DEADLINE_MS, WindowsLauncher } from '../../../src/platform/windows/launcher.js';
import type { Job, WindowsOps } from '../../../src/platform/windows/launcher-ops.js';
import { SpawnError, type Child, type SpawnRequest } from '../../../src/platform/types.js';

const COMSPEC = 'C:\\Windows\\system32\\cmd.exe';

/** A spawned process as node:child_process shows it: 'spawn' on the next tick, 'exit' when ended. */
class FakeChild extends EventEmitter {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly stdin: PassThrough | null;
  readonly kills: (NodeJS.Signals | number | undefined)[] = [];

  constructor(
    readonly pid: number | undefined,
    readonly file: string,
    readonly args: readonly string[],
    readonly options: SpawnOptions,
    private readonly ops: FakeOps,
  ) {
    super();
    const stdio = options.stdio as readonly string[];
    this.stdin = stdio[0] === 'pipe' ? new PassThrough() : null;
  }

  kill(signal?: NodeJS.Signals | number): boolean {
    this.kills.push(signal);
    return true;
  }

  /** Ends the process as Node does: 'exit', then its pipes end (what watchChild waits for), then 'close'. */
  exit(code: number): void {
    if (this.pid !== undefined) this.ops.running.delete(this.pid);
    this.emit('exit', code, null);
    this.stdout.end();
    this.stderr.end();
    this.emit('close', code, null);
  }
}

class FakeJob implements Job {
  /** Every pid add() was given, refused or not ('self' for corral itself). */
  readonly added: (number | 'self')[] = [];
  /** The processes in the job, as pids() lists them. */
  readonly members: number[] = [];
  terminations = 0;
  closed = false;
  /** What activeProcesses() says after terminate(), one value a call; the last one repeats. */
  afterTerminate: number[] = [0];

  constructor(private readonly refuses: (pid: number | 'self') => boolean) {}

  add(pid: number | 'self'): void {
    this.added.push(pid);
    if (this.refuses(pid)) throw new Error(`AssignProcessToJobObject(pid ${pid}) failed: Windows error 5`);
    if (pid !== 'self') this.members.push(pid);
  }

  /** Set: terminate() throws it, as TerminateJobObject may fail. */
  terminateFail: Error | null = null;

  terminate(): void {
    this.terminations++;
    if (this.terminateFail !== null) throw this.terminateFail;
  }

  activeProcesses(): number {
    if (this.closed) return 0;
    if (this.terminations === 0) return this.members.length;
    return this.afterTerminate.length > 1
      ? (this.afterTerminate.shift() ?? 0)
      : (this.afterTerminate[0] ?? 0);
  }

  /** Set: pids() throws it, as QueryInformationJobObject may fail. */
  pidsFail: Error | null = null;

  pids(): number[] {
    if (this.pidsFail !== null) throw this.pidsFail;
    return this.closed ? [] : [...this.members];
  }

  close(): void {
    this.closed = true;
  }
}

/** The Win32 layer, recording what it is asked; the fields set before a spawn say how it answers. */
class FakeOps implements WindowsOps {
  readonly children: FakeChild[] = [];
  /** In creation order: the supervisor's job first, then one a child. */
  readonly jobs: FakeJob[] = [];
  readonly ctrl: [number, CtrlEvent][] = [];
  readonly closeRequests: ReadonlySet<number>[] = [];
  readonly suspensions: [number, boolean][] = [];
  readonly running = new Set<number>();
  /** Which job creations fail, by index (0: the supervisor's), as CreateJobObjectW may. */
  jobFails: (index: number) => boolean = () => false;
  /** Which add() calls Windows refuses, by job (0: the supervisor's) and pid. */
  refuse: (job: number, pid: number | 'self') => boolean = () => false;
  ctrlOutcome: () => Promise<void> = () => Promise.resolve();
  windows = 1;
  unsuspendable = new Set<number>();
  startTime: number | null = 1_234;
  /** A program by this name fails to start (ENOENT), as a missing .exe does. */
  missing = '';
  /** A program by this name makes spawn throw, as Node does for a Windows error libuv cannot name. */
  unnamed = '';
  #nextPid = 101;

  spawn(file: string, args: readonly string[], options: SpawnOptions): ChildProcess {
    if (file === this.unnamed) throw Object.assign(new Error('spawn UNKNOWN'), { code: 'UNKNOWN' });
    const pid = file === this.missing ? undefined : this.#nextPid++;
    const child = new FakeChild(pid, file, args, options, this);
    this.children.push(child);
    if (pid === undefined) {
      process.nextTick(() => {
        child.emit('error', Object.assign(new Error(`spawn ${file} ENOENT`), { code: 'ENOENT' }));
      });
    } else {
      this.running.add(pid);
      process.nextTick(() => {
        child.emit('spawn');
      });
    }
    return child as unknown as ChildProcess;
  }

  createJob(): Job {
    const index = this.jobs.length;
    if (this.jobFails(index)) throw new Error('CreateJobObjectW(NULL) failed: Windows error 1450');
    const job = new FakeJob((pid) => this.refuse(index, pid));
    this.jobs.push(job);
    return job;
  }

  sendCtrlEvent(pid: number, event: CtrlEvent): Promise<void> {
    this.ctrl.push([pid, event]);
    return this.ctrlOutcome();
  }

  postCloseToWindowsOf(pids: ReadonlySet<number>): number {
    this.closeRequests.push(new Set(pids));
    return this.windows;
  }

  setProcessSuspended(pid: number, suspended: boolean): boolean {
    this.suspensions.push([pid, suspended]);
    return !this.unsuspendable.has(pid);
  }

  isRunning(pid: number): boolean {
    return this.running.has(pid);
  }

  processStartTime(): number | null {
    return this.startTime;
  }

  get supervisorJob(): FakeJob {
    return this.#at(this.jobs, 0);
  }

  /** The job of its own a child was given. */
  jobOf(child: Child): FakeJob {
    const job = this.jobs.slice(1).find((j) => j.added.includes(child.pid));
    if (job === undefined) throw new Error(`no job was given pid ${child.pid}`);
    return job;
  }

  fakeOf(child: Child): FakeChild {
    const fake = this.children.find((c) => c.pid === child.pid);
    if (fake === undefined) throw new Error(`no process was spawned with pid ${child.pid}`);
    return fake;
  }

  #at<T>(list: readonly T[], index: number): T {
    const item = list[index];
    if (item === undefined) throw new Error(`nothing at ${index}`);
    return item;
  }
}

function spawnRequest(extra: Partial<SpawnRequest> = {}): SpawnRequest {
  return {
    name: 'web',
    command: ['C:\\app\\web.exe', '--port', '80'],
    shell: false,
    cwd: os.tmpdir(),
    env: { ComSpec: COMSPEC },
    stdin: false,
    maxLine: 1024,
    ...extra,
  };
}

function setUp() {
  const ops = new FakeOps();
  const problems: { pid: number; message: string }[] = [];
  const launcher = new WindowsLauncher({ ops, onProblem: (pid, message) => problems.push({ pid, message }) });
  /** Spawns through the launcher; `exited` resolves once the launcher reported the exit. */
  const start = async (extra: Partial<SpawnRequest> = {}) => {
    let reported: () => void = () => undefined;
    const exited = new Promise<void>((resolve) => (reported = resolve));
    const child = await launcher.spawn(spawnRequest(extra), {
      onLine: () => true,
      onLines: () => true,
      onExit: () => {
        reported();
      },
    });
    const exit = (code = 0) => {
      ops.fakeOf(child).exit(code);
    };
    return { child, exited, exit };
  };
  return { ops, launcher, problems, start };
}

/** Runs a command step through the launcher and ends it with code 0. */
function runToExit(launcher: WindowsLauncher, ops: FakeOps, program: string) {
  const result = launcher.runCommand([program], {
    shell: false,
    cwd: os.tmpdir(),
    env: { ComSpec: COMSPEC },
    timeout: 60_000,
  });
  const [command] = ops.children;
  command?.exit(0);
  return { result, command };
}

/** Lets a rejected promise's handlers run (the launcher does not await its stop requests). */
function settled(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

afterEach(() => {
  vi.useRealTimers();
});

describe('WindowsLauncher: Ctrl+C, Ctrl+Break and WM_CLOSE', () => {
  it('sends Ctrl+C for graceful, ctrl_c and SIGINT to that child alone, never to its sibling', async () => {
    const { ops, launcher, problems, start } = setUp();
    const { child } = await start({ name: 'target' });
    const sibling = await start({ name: 'sibling' });
    launcher.graceful(child);
    launcher.signal(child, 'ctrl_c');
    launcher.signal(child, 'SIGINT');
    launcher.request(child, 'ctrl_c');
    expect(ops.ctrl).toEqual([
      [child.pid, 'c'],
      [child.pid, 'c'],
      [child.pid, 'c'],
      [child.pid, 'c'],
    ]);
    expect(ops.ctrl.map(([pid]) => pid)).not.toContain(sibling.child.pid);
    await settled();
    expect(problems).toEqual([]);
  });

  it("sends Ctrl+Break for ctrl_break and SIGBREAK to that child's pid", async () => {
    const { ops, launcher, start } = setUp();
    await start({ name: 'sibling' });
    const { child } = await start({ name: 'target' });
    launcher.signal(child, 'ctrl_break');
    launcher.signal(child, 'SIGBREAK');
    launcher.request(child, 'ctrl_break');
    expect(ops.ctrl).toEqual([
      [child.pid, 'break'],
      [child.pid, 'break'],
      [child.pid, 'break'],
    ]);
  });

  it("posts WM_CLOSE to the windows of every process in the child's job, and only those", async () => {
    const { ops, launcher, problems, start } = setUp();
    const sibling = await start({ name: 'sibling' });
    const { child } = await start({ name: 'target' });
    ops.jobOf(child).members.push(4_242); // a descendant the child started
    launcher.signal(child, 'wm_close');
    expect(ops.closeRequests).toEqual([new Set([child.pid, 4_242])]);
    expect([...(ops.closeRequests[0] ?? [])]).not.toContain(sibling.child.pid);
    expect(problems).toEqual([]);
  });

  it('reports a job whose processes Windows would not list, for WM_CLOSE and a pause, and throws nothing', async () => {
    const { ops, launcher, problems, start } = setUp();
    const { child } = await start();
    ops.jobOf(child).pidsFail = new Error('QueryInformationJobObject failed: Windows error 5');
    launcher.request(child, 'wm_close');
    launcher.suspend(child);
    expect(ops.closeRequests).toEqual([]);
    expect(ops.suspensions).toEqual([]);
    const message = 'cannot list the processes of its job: QueryInformationJobObject failed: Windows error 5';
    expect(problems).toEqual([
      { pid: child.pid, message },
      { pid: child.pid, message },
    ]);
  });

  it('reports a WM_CLOSE that reached no window', async () => {
    const { ops, launcher, problems, start } = setUp();
    const { child } = await start();
    ops.windows = 0;
    launcher.request(child, 'wm_close');
    expect(problems).toEqual([
      { pid: child.pid, message: 'WM_CLOSE: the process tree has no top-level window' },
    ]);
  });

  it("reports a Ctrl event the helper could not deliver with the helper's reason, and throws nothing", async () => {
    const { ops, launcher, problems, start } = setUp();
    const { child } = await start();
    const reason = `Ctrl+C to pid ${child.pid} failed: AttachConsole(pid ${child.pid}) failed: Windows error 6`;
    ops.ctrlOutcome = () => Promise.reject(new Error(reason));
    expect(() => {
      launcher.graceful(child);
    }).not.toThrow();
    await settled();
    expect(problems).toEqual([{ pid: child.pid, message: reason }]);
  });

  it('sends nothing to a child that has exited', async () => {
    const { ops, launcher, problems, start } = setUp();
    const { child, exit, exited } = await start();
    exit(0);
    await exited;
    launcher.graceful(child);
    launcher.signal(child, 'ctrl_break');
    launcher.request(child, 'wm_close');
    await settled();
    expect(ops.ctrl).toEqual([]);
    expect(ops.closeRequests).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('refuses a signal Windows does not have, naming what to use instead', async () => {
    const { ops, launcher, start } = setUp();
    const { child } = await start();
    expect(() => {
      launcher.signal(child, 'SIGUSR1');
    }).toThrow(
      new Error(
        'signal SIGUSR1 does not exist on Windows: use graceful, ctrl_c, ctrl_break or wm_close in the stop steps',
      ),
    );
    expect(ops.ctrl).toEqual([]);
  });
});

describe('WindowsLauncher: suspend and resume', () => {
  it("suspends and resumes every process in the child's job, the child first", async () => {
    const { ops, launcher, problems, start } = setUp();
    const { child } = await start();
    // The job lists a descendant before the child; the child must still be frozen first.
    ops.jobOf(child).members.unshift(4_242);
    ops.jobOf(child).members.push(4_243);
    launcher.suspend(child);
    launcher.resume(child);
    expect(ops.suspensions).toEqual([
      [child.pid, true],
      [4_242, true],
      [4_243, true],
      [child.pid, false],
      [4_242, false],
      [4_243, false],
    ]);
    expect(problems).toEqual([]);
  });

  it('reports each process it could not suspend or resume by its pid, and goes on with the rest', async () => {
    const { ops, launcher, problems, start } = setUp();
    const { child } = await start();
    ops.jobOf(child).members.push(4_242, 4_243);
    ops.unsuspendable.add(4_242);
    launcher.suspend(child);
    launcher.resume(child);
    expect(ops.suspensions.map(([pid]) => pid)).toEqual([child.pid, 4_242, 4_243, child.pid, 4_242, 4_243]);
    expect(problems).toEqual([
      { pid: child.pid, message: 'could not suspend pid 4242' },
      { pid: child.pid, message: 'could not resume pid 4242' },
    ]);
  });
});

describe('WindowsLauncher: killTree', () => {
  it("terminates the child's job and resolves only once no process in it is left", async () => {
    const { ops, launcher, start } = setUp();
    const { child } = await start();
    const job = ops.jobOf(child);
    job.afterTerminate = [2, 1, 0];
    vi.useFakeTimers();
    let done = false;
    const killed = launcher.killTree(child).then(() => (done = true));
    expect(job.terminations).toBe(1);
    await vi.advanceTimersByTimeAsync(10);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(10);
    await killed;
    expect(done).toBe(true);
    expect(job.terminations).toBe(1);
  });

  it('rejects, naming the processes still alive, when the tree outlives the deadline', async () => {
    const { ops, launcher, start } = setUp();
    const { child } = await start();
    const job = ops.jobOf(child);
    job.members.push(4_242);
    job.afterTerminate = [2];
    vi.useFakeTimers();
    const killed = launcher.killTree(child);
    const outcome = expect(killed).rejects.toThrow(
      `could not kill the tree of pid ${child.pid}: ${child.pid}, 4242 still alive`,
    );
    await vi.advanceTimersByTimeAsync(KILL_DEADLINE_MS + 20);
    await outcome;
  });

  it('resolves at once for a child that has exited, terminating nothing more', async () => {
    const { ops, launcher, start } = setUp();
    const { child, exit, exited } = await start();
    exit(0);
    await exited;
    await launcher.killTree(child);
    expect(ops.jobOf(child).terminations).toBe(1); // the exit's own, not killTree's
  });
});

describe('WindowsLauncher: containment', () => {
  it('kills a child that its job refused while it runs, closes that job and rejects the spawn', async () => {
    const { ops, start } = setUp();
    ops.refuse = (job, pid) => job === 1 && pid !== 'self';
    await expect(start()).rejects.toThrow('AssignProcessToJobObject(pid 101) failed: Windows error 5');
    const [refused] = ops.children;
    expect(refused?.kills).toEqual([undefined]);
    expect(ops.jobs[1]?.closed).toBe(true);
  });

  it('kills a child whose job Windows could not make, and rejects the spawn', async () => {
    const { ops, start } = setUp();
    ops.jobFails = (index) => index === 1;
    await expect(start()).rejects.toThrow('CreateJobObjectW(NULL) failed: Windows error 1450');
    expect(ops.children[0]?.kills).toEqual([undefined]);
  });

  it('kills a child when the supervisor job could not be made, and makes it for the next child', async () => {
    const { ops, start } = setUp();
    ops.jobFails = (index) => index === 0 && ops.children.length === 1;
    await expect(start({ name: 'a' })).rejects.toThrow('CreateJobObjectW');
    expect(ops.children[0]?.kills).toEqual([undefined]);
    const b = await start({ name: 'b' });
    expect(ops.supervisorJob.added).toEqual(['self']);
    expect(ops.jobOf(b.child).members).toEqual([b.child.pid]);
  });

  it('does not kill a child that had already exited when its job refused it', async () => {
    const { ops, start } = setUp();
    ops.refuse = (job, pid) => job === 1 && pid !== 'self';
    const spawnOne = ops.spawn.bind(ops);
    // Gone before AssignProcessToJobObject, as a child that exits at once may be.
    ops.spawn = (file, args, options) => {
      const subprocess = spawnOne(file, args, options);
      if (subprocess.pid !== undefined) ops.running.delete(subprocess.pid);
      return subprocess;
    };
    const { child } = await start();
    expect(ops.fakeOf(child).kills).toEqual([]);
  });

  it("adds each child to the supervisor's job itself when corral could not join that job", async () => {
    const { ops, start } = setUp();
    ops.refuse = (job, pid) => job === 0 && pid === 'self';
    const a = await start({ name: 'a' });
    const b = await start({ name: 'b' });
    expect(ops.supervisorJob.added).toEqual(['self', a.child.pid, b.child.pid]);
    expect(ops.jobOf(a.child).members).toEqual([a.child.pid]);
    expect(ops.jobOf(b.child).members).toEqual([b.child.pid]);
  });

  it("joins the supervisor's job once, and then leaves the children to be born inside it", async () => {
    const { ops, start } = setUp();
    const a = await start({ name: 'a' });
    const b = await start({ name: 'b' });
    expect(ops.supervisorJob.added).toEqual(['self']);
    expect(ops.jobs).toHaveLength(3);
    expect(ops.jobOf(a.child)).not.toBe(ops.jobOf(b.child));
  });

  it("kills what a child left in its job and closes the job once the child has exited, and no other's", async () => {
    const { ops, start } = setUp();
    const { child, exit, exited } = await start({ name: 'a' });
    const sibling = await start({ name: 'b' });
    expect(ops.jobOf(child)).toMatchObject({ terminations: 0, closed: false });
    exit(0);
    await exited;
    // Terminated, not only closed: kill-on-close would wait for the job's last handle.
    expect(ops.jobOf(child)).toMatchObject({ terminations: 1, closed: true });
    expect(ops.jobOf(sibling.child)).toMatchObject({ terminations: 0, closed: false });
    expect(ops.supervisorJob).toMatchObject({ terminations: 0, closed: false });
  });

  it('reports a job it could not terminate at exit, closes it anyway and reports the exit', async () => {
    const { ops, problems, start } = setUp();
    const { child, exit, exited } = await start({ name: 'a' });
    ops.jobOf(child).terminateFail = new Error('TerminateJobObject(exit code 1) failed: Windows error 5');
    exit(3);
    await exited;
    expect(ops.jobOf(child).closed).toBe(true);
    expect(problems).toEqual([
      {
        pid: child.pid,
        message:
          'could not kill the processes in its job: TerminateJobObject(exit code 1) failed: Windows error 5',
      },
    ]);
  });

  it('gives a program that could not start no job, and rejects with a SpawnError', async () => {
    const { ops, start } = setUp();
    ops.missing = 'C:\\app\\web.exe';
    const failed = start();
    await expect(failed).rejects.toBeInstanceOf(SpawnError);
    await expect(failed).rejects.toMatchObject({ code: 'not-found' });
    expect(ops.jobs).toEqual([]);
  });

  it('rejects with a SpawnError naming the process and program when spawn throws, and makes no job', async () => {
    const { ops, start } = setUp();
    ops.unnamed = 'C:\\app\\web.exe';
    const failed = start();
    await expect(failed).rejects.toBeInstanceOf(SpawnError);
    await expect(failed).rejects.toMatchObject({
      code: 'other',
      message: 'web: command: could not start C:\\app\\web.exe: spawn UNKNOWN',
    });
    expect(ops.jobs).toEqual([]);
  });
});

describe('WindowsLauncher: how a child is started', () => {
  it('gives a child NUL for stdin unless the request keeps stdin for a stop step', async () => {
    const { ops, start } = setUp();
    await start({ name: 'plain' });
    await start({ name: 'talker', stdin: true });
    expect(ops.children.map((c) => c.options.stdio)).toEqual([
      ['ignore', 'pipe', 'pipe'],
      ['pipe', 'pipe', 'pipe'],
    ]);
    expect(ops.children.every((c) => c.options.windowsHide === true)).toBe(true);
  });

  it('runs a .bat or .cmd program through ComSpec with verbatim arguments', async () => {
    const { ops, start } = setUp();
    await start({ command: ['C:\\app\\run.bat', 'a b', 'c&d'] });
    await start({ command: ['C:\\app\\RUN.CMD'] });
    await start({ command: ['C:\\app\\web.exe', 'a b'] });
    const [bat, cmd, exe] = ops.children;
    expect(bat).toMatchObject({
      file: COMSPEC,
      args: ['/d', '/v:off', '/s', '/c', '""C:\\app\\run.bat" "a b" "c&d""'],
      options: { windowsVerbatimArguments: true },
    });
    expect(cmd).toMatchObject({ file: COMSPEC, options: { windowsVerbatimArguments: true } });
    expect(exe).toMatchObject({
      file: 'C:\\app\\web.exe',
      args: ['a b'],
      options: { windowsVerbatimArguments: false },
    });
  });

  it('names the child by its pid and start time, -1 when the start time cannot be read', async () => {
    const { ops, start } = setUp();
    const known = await start();
    ops.startTime = null;
    const unknown = await start();
    expect(known.child.identity).toEqual({ pid: known.child.pid, startTime: 1_234 });
    expect(unknown.child.identity).toEqual({ pid: unknown.child.pid, startTime: -1 });
  });

  it('runs a command step in a job of its own, terminated and closed when the command exits', async () => {
    const { ops, launcher } = setUp();
    const { result, command } = runToExit(launcher, ops, 'C:\\app\\drain.exe');
    await expect(result).resolves.toEqual({ code: 0, signal: null, timedOut: false });
    const job = ops.jobs[1];
    expect(job?.added).toEqual([command?.pid]);
    expect(job).toMatchObject({ terminations: 1, closed: true });
    expect(command?.options.stdio).toBe('ignore');
  });

  it('reports a command whose job could not be terminated, and still resolves with its exit', async () => {
    const ops = new FakeOps();
    const problems: { pid: number; message: string }[] = [];
    const launcher = new WindowsLauncher({
      ops,
      onProblem: (pid, message) => problems.push({ pid, message }),
    });
    const result = launcher.runCommand(['C:\\app\\drain.exe'], {
      shell: false,
      cwd: os.tmpdir(),
      env: { ComSpec: COMSPEC },
      timeout: 60_000,
    });
    const job = ops.jobs[1]; // [0] is the supervisor's
    if (job !== undefined) job.terminateFail = new Error('TerminateJobObject failed: Windows error 5');
    ops.children[0]?.exit(0);
    await expect(result).resolves.toEqual({ code: 0, signal: null, timedOut: false });
    expect(job).toMatchObject({ terminations: 1, closed: true });
    expect(problems).toEqual([
      {
        pid: ops.children[0]?.pid,
        message: 'could not kill the processes in its job: TerminateJobObject failed: Windows error 5',
      },
    ]);
  });

  it('resolves, without an exit code, for a command that could not start', async () => {
    const { ops, launcher } = setUp();
    const options = { shell: false, cwd: os.tmpdir(), env: { ComSpec: COMSPEC }, timeout: 60_000 };
    ops.missing = 'C:\\app\\gone.exe';
    ops.unnamed = 'C:\\app\\refused.exe';
    await expect(launcher.runCommand([ops.missing], options)).resolves.toEqual({
      code: null,
      signal: null,
      timedOut: false,
    });
    await expect(launcher.runCommand([ops.unnamed], options)).resolves.toEqual({
      code: null,
      signal: null,
      timedOut: false,
    });
    expect(ops.jobs).toEqual([]);
  });

  it('keeps no job of a finished command: nothing is asked of its pid afterwards', async () => {
    const { ops, launcher } = setUp();
    const { result, command } = runToExit(launcher, ops, 'C:\\app\\probe.exe');
    await result;
    const pid = command?.pid ?? 0;
    const asChild = { pid, identity: { pid, startTime: 1 } } as unknown as Child;
    launcher.request(asChild, 'ctrl_c');
    launcher.suspend(asChild);
    await launcher.killTree(asChild);
    expect(ops.ctrl).toEqual([]);
    expect(ops.suspensions).toEqual([]);
    expect(ops.jobs[1]?.terminations).toBe(1); // the command's own end, not killTree
  });
});

describe('WindowsLauncher: importing it', () => {
  // Each test file runs in a process of its own (vitest's isolation), so nothing else loaded it here.
  it('loads no native code (koffi loads on the first Win32 call)', async () => {
    await import('../../../src/platform/windows/launcher.js');
    const { sharedObjects } = process.report.getReport() as { sharedObjects: string[] };
    expect(sharedObjects.filter((file) => file.includes('koffi'))).toEqual([]);
  });
});
