// The sanitizer: the interpreter's memory for a sanitized launch, which checks every access against shadow state,
// and the run-time checks a sanitized program calls (integer division by zero, overflow of index arithmetic).
//
// What kt promises about order within a launch, and what this checks (README, "The sanitizer"):
//   - Programs of a launch are not ordered with each other. Two accesses of one element by different programs
//     race when at least one is a plain store, or one is a plain access and the other an atomic. Atomics do not
//     race with atomics.
//   - Within a program, ops run in program order lane by lane: two accesses of one element are ordered when the
//     same lane makes both, that is the same index of tiles of the same shape, which the GPU backend gives the
//     same thread. Scalar loads and stores are made by every lane (each thread of the program does them), so a
//     scalar store is ordered before any later load of the element; scalar atomics are made by one lane of their
//     own. Any other pair in which one access writes (two stores from different lanes of one store op, a store
//     read back by another lane, a scalar read then a scalar store, ...) races, as it does on the GPU, where
//     nothing orders the threads of a program between global memory accesses but a barrier (tl.debugBarrier), which
//     orders every access of the program before it before every one after it.
//   - Launches are ordered with each other (one stream).
// Shadow state, per element of each tensor's storage (per byte where narrower accesses come), for the launch: the
// last plain store, and the last two plain loads or atomics by different agents (an agent is a lane of a program).
// Two are enough: two earlier loads by different agents cannot both be ordered before a later store, so a store
// that races with any earlier load races with one of the last two (and a load or an atomic racing with an earlier
// atomic or load of another program would have been reported when the two agents' accesses met).
//
// Uninitialised reads: storage from empty() keeps which of its bytes have been written (tensor.ts); a load of
// a byte no one wrote is reported with the tensor and the load's line.
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { displayPath, locationSpan, renderDiagnostic } from '../compiler/diagnostics.ts';
import { outermostLocation, type Block, type Location, type Operation, type Value } from '../compiler/ir/core.ts';
import { IntType, elementType } from '../compiler/ir/types.ts';
import { writtenBytesOf, markWritten, type WrittenBytes } from '../runtime/tensor.ts';
import { KernelRuntimeError, LaunchMemory, type Cursor, type OpSite, type Region } from './memory.ts';
import type { SanitizeSettings } from './sanitize-settings.ts';

const READ = 1;
const ATOMIC = 2;
/** Lanes (tile elements) a sanitized op may have: 2^24, well above Triton's limit of 2^20 elements per tile. */
export const MAX_SANITIZED_LANES = 2 ** 24;
/** An agent (who makes an access, within a program) is shape class * LANES + lane. */
const LANES = MAX_SANITIZED_LANES;

/** Shape classes of accesses: scalar loads and stores (every lane), scalar atomics (one lane), then tile shapes. */
const SCALAR_ATOMIC = 1;
/** Agents from here on are lanes of tiles. */
const FIRST_TILE_AGENT = 2 * LANES;

/** One record per slot: who made an access (allocated when the first such access comes). */
interface Records {
  /** Program + 1 (0: none). */
  readonly pid: Int32Array;
  readonly agent: Float64Array;
  /** How many tl.debugBarriers the program had passed. */
  readonly epoch: Int32Array;
  /** Site of the access (for loads and atomics, site * 4 + kinds). */
  readonly site: Int32Array;
}

/** The shadow of one storage (shared by every tensor argument that views it). */
interface StorageShadow {
  readonly storage: object;
  /** Bytes per slot: the smallest access seen so far (slots are refined when a smaller access comes). */
  unit: number;
  /** Slots (0 until the first access). */
  n: number;
  readonly bytes: number;
  /** Per slot: the last plain store, and the last two plain loads or atomics by different agents. */
  w: Records | undefined;
  r: Records | undefined;
  r2: Records | undefined;
  /** Which bytes have been written, for storage from empty() not yet all written. */
  written: WrittenBytes | undefined;
}

interface RegionShadow {
  readonly region: Region;
  readonly storage: StorageShadow;
  /** Where the region starts in its storage, in bytes. */
  readonly byteOffset: number;
}

const describeTensor = (r: Region): string => `${r.what} (${r.tensor.dtype.name}, shape [${r.tensor.shape.join(', ')}])`;

/** Every sanitized launch so far in this process (tests check that a sanitized run happened). */
export let sanitizedLaunches = 0;

export class SanitizedMemory extends LaunchMemory {
  /** The program being run, as its index in the grid (x fastest), and the grid. */
  p = 0;
  grid: readonly [number, number, number] = [1, 1, 1];
  /** The site of the innermost loop the program is in (-1: none), for hang reports. */
  loop = -1;
  /** tl.debugBarriers the program has passed: a barrier orders every access of the program before it before every one after. */
  private epoch = 0;
  /** Each region's shadow, by its base address. */
  private readonly shadows = new Map<number, RegionShadow>();
  private readonly storages = new Map<object, StorageShadow>();
  /** Per site: the agent of its lane 0 (shape class * LANES), whether its lanes are distinct agents, its bytes. */
  private readonly agentBase: Float64Array;
  private readonly tile: Uint8Array;
  private readonly siteBytes: Int32Array;
  /** Per memory site: the region its cursor points into. */
  private readonly siteRegion: (RegionShadow | undefined)[];

  constructor(kernelName: string, sites: readonly OpSite[], printLine?: (line: string) => void) {
    super(kernelName, sites, printLine);
    const classes = new Map<string, number>();
    this.agentBase = Float64Array.from(sites, (s) => {
      if (!s.shape.length) return s.kind === 'atomic' ? SCALAR_ATOMIC * LANES : 0;
      const key = s.shape.join('x');
      let c = classes.get(key);
      if (c === undefined) classes.set(key, (c = classes.size + 2));
      return c * LANES;
    });
    this.tile = Uint8Array.from(sites, (s) => (s.shape.length ? 1 : 0));
    this.siteBytes = Int32Array.from(sites, (s) => s.bytes);
    this.siteRegion = sites.map(() => undefined);
    sanitizedLaunches++;
  }

  /** Shadows the region's storage (the same record for every region in one storage); writes are recorded, not assumed. */
  protected override addRegion(region: Region): void {
    const tensor = region.tensor;
    const storage = tensor.storage;
    let st = this.storages.get(storage);
    if (!st) {
      const bytes = storage instanceof ArrayBuffer ? storage.byteLength : tensor.span * tensor.dtype.bytes;
      st = { storage, unit: tensor.dtype.bytes, n: 0, bytes, w: undefined, r: undefined, r2: undefined, written: writtenBytesOf(storage) };
      this.storages.set(storage, st);
    } else st.unit = Math.min(st.unit, tensor.dtype.bytes);
    this.shadows.set(region.base, { region, storage: st, byteOffset: tensor.offset * tensor.dtype.bytes });
  }

  override resolve(cur: Cursor, addr: number, siteId: number, lane: number): number {
    const j = super.resolve(cur, addr, siteId, lane);
    this.siteRegion[siteId] = this.shadows.get(cur.base);
    return j;
  }

  /** Starts program (x, y, z), the p-th of the grid. */
  enter(x: number, y: number, z: number, p: number): void {
    this.pid[0] = x;
    this.pid[1] = y;
    this.pid[2] = z;
    this.p = p;
    this.loop = -1;
    this.epoch = 0;
  }

  /** A tl.debugBarrier of the program. */
  barrier(): void {
    this.epoch++;
  }

  /** Sizes the storage's slots on its first access, or refines them for an access smaller than a slot. */
  private slots(st: StorageShadow, bytes: number): void {
    const unit = Math.min(st.unit, bytes);
    const n = Math.ceil(st.bytes / unit);
    // Each slot's records go to every finer slot it covers.
    const k = st.unit / unit;
    const refine = (r: Records | undefined): Records | undefined => {
      if (!r) return undefined;
      const f = records(n);
      for (let i = 0; i < n; i++) {
        const from = Math.floor(i / k);
        f.pid[i] = r.pid[from]!;
        f.agent[i] = r.agent[from]!;
        f.epoch[i] = r.epoch[from]!;
        f.site[i] = r.site[from]!;
      }
      return f;
    };
    if (st.n) [st.w, st.r, st.r2] = [refine(st.w), refine(st.r), refine(st.r2)];
    st.unit = unit;
    st.n = n;
  }

  // ---- memory accesses ----
  //
  // Each takes the element index j (in units of the access) in the tensor its site's cursor points into.

  /** A plain load, by `lane` of site `site`. */
  checkLoad(cur: Cursor, j: number, site: number, lane: number): void {
    const sh = this.siteRegion[site]!;
    const st = sh.storage;
    const bytes = this.siteBytes[site]!;
    const at = sh.byteOffset + j * bytes;
    if (st.written !== undefined) this.checkWritten(st.written, sh, at, bytes, j, site, lane);
    if (st.n === 0 || bytes < st.unit) this.slots(st, bytes);
    const agent = this.agentOf(site, lane);
    if (bytes === st.unit) return this.loadSlot(st, at / bytes, sh, j, site, lane, agent);
    for (let s = at / st.unit, end = (at + bytes) / st.unit; s < end; s++) this.loadSlot(st, s, sh, j, site, lane, agent);
  }

  private loadSlot(st: StorageShadow, s: number, sh: RegionShadow, j: number, site: number, lane: number, agent: number): void {
    const w = st.w;
    if (w !== undefined) {
      const wp = w.pid[s]! - 1;
      if (wp >= 0 && !this.ordered(wp, w.agent[s]!, w.epoch[s]!, true, agent, true)) throw this.race(sh, j, wp, w.agent[s]!, w.site[s]!, 'store', site, lane, 'load');
    }
    this.againstRecorded(st, s, sh, j, site, lane, agent, ATOMIC, 'load');
    this.record(st, s, site, agent, READ);
  }

  /** A plain store. */
  checkStore(cur: Cursor, j: number, site: number, lane: number): void {
    const sh = this.siteRegion[site]!;
    const st = sh.storage;
    const bytes = this.siteBytes[site]!;
    const at = sh.byteOffset + j * bytes;
    if (st.n === 0 || bytes < st.unit) this.slots(st, bytes);
    const agent = this.agentOf(site, lane);
    if (bytes === st.unit) this.storeSlot(st, at / bytes, sh, j, site, lane, agent);
    else for (let s = at / st.unit, end = (at + bytes) / st.unit; s < end; s++) this.storeSlot(st, s, sh, j, site, lane, agent);
    if (st.written !== undefined) this.markWritten(st, at, bytes);
  }

  private storeSlot(st: StorageShadow, s: number, sh: RegionShadow, j: number, site: number, lane: number, agent: number): void {
    const w = (st.w ??= records(st.n));
    const wp = w.pid[s]! - 1;
    if (wp >= 0 && !this.ordered(wp, w.agent[s]!, w.epoch[s]!, true, agent, false)) throw this.race(sh, j, wp, w.agent[s]!, w.site[s]!, 'store', site, lane, 'store');
    this.againstRecorded(st, s, sh, j, site, lane, agent, READ | ATOMIC, 'store');
    w.pid[s] = this.p + 1;
    w.agent[s] = agent;
    w.epoch[s] = this.epoch;
    w.site[s] = site;
  }

  /** An atomic read-modify-write (or compare-and-swap). */
  checkAtomic(cur: Cursor, j: number, site: number, lane: number): void {
    const sh = this.siteRegion[site]!;
    const st = sh.storage;
    const bytes = this.siteBytes[site]!;
    const at = sh.byteOffset + j * bytes;
    // An exchange does not need the old value; every other atomic computes with it.
    if (st.written !== undefined && this.sites[site]!.rmw !== 'xchg') this.checkWritten(st.written, sh, at, bytes, j, site, lane);
    if (st.n === 0 || bytes < st.unit) this.slots(st, bytes);
    const agent = this.agentOf(site, lane);
    for (let s = at / st.unit, end = (at + bytes) / st.unit; s < end; s++) {
      const w = st.w;
      if (w !== undefined) {
        const wp = w.pid[s]! - 1;
        if (wp >= 0 && !this.ordered(wp, w.agent[s]!, w.epoch[s]!, true, agent, false)) throw this.race(sh, j, wp, w.agent[s]!, w.site[s]!, 'store', site, lane, 'atomic');
      }
      this.againstRecorded(st, s, sh, j, site, lane, agent, READ, 'atomic');
      this.record(st, s, site, agent, ATOMIC);
    }
    if (st.written !== undefined) this.markWritten(st, at, bytes);
  }

  private agentOf(site: number, lane: number): number {
    return this.tile[site] ? this.agentBase[site]! + lane : this.agentBase[site]!;
  }

  /** Checks an access against the recorded loads and atomics whose kinds are in `conflicting`. */
  private againstRecorded(st: StorageShadow, s: number, sh: RegionShadow, j: number, site: number, lane: number, agent: number, conflicting: number, what: string): void {
    const r = st.r;
    if (r === undefined) return;
    const rp = r.pid[s]! - 1;
    if (rp < 0) return;
    const load = conflicting === ATOMIC;
    const rk = r.site[s]! & conflicting;
    if (rk && !this.ordered(rp, r.agent[s]!, r.epoch[s]!, false, agent, load)) throw this.race(sh, j, rp, r.agent[s]!, r.site[s]! >> 2, kindName(rk), site, lane, what);
    const r2 = st.r2;
    if (r2 === undefined) return;
    const r2p = r2.pid[s]! - 1;
    if (r2p < 0) return;
    const r2k = r2.site[s]! & conflicting;
    if (r2k && !this.ordered(r2p, r2.agent[s]!, r2.epoch[s]!, false, agent, load)) throw this.race(sh, j, r2p, r2.agent[s]!, r2.site[s]! >> 2, kindName(r2k), site, lane, what);
  }

  /** Records a load or an atomic: merged into the record of the same agent, else as the newest of two agents. */
  private record(st: StorageShadow, s: number, site: number, agent: number, kind: number): void {
    const p1 = this.p + 1;
    const r = (st.r ??= records(st.n));
    const rp1 = r.pid[s]!;
    if (rp1 === 0) {
      r.pid[s] = p1;
      r.agent[s] = agent;
      r.epoch[s] = this.epoch;
      r.site[s] = site * 4 + kind;
      return;
    }
    if (rp1 === p1 && r.agent[s] === agent && r.epoch[s] === this.epoch) {
      r.site[s]! |= kind;
      return;
    }
    const r2 = (st.r2 ??= records(st.n));
    let kinds = kind;
    if (r2.pid[s] === p1 && r2.agent[s] === agent && r2.epoch[s] === this.epoch) kinds |= r2.site[s]! & 3;
    r2.pid[s] = rp1;
    r2.agent[s] = r.agent[s]!;
    r2.epoch[s] = r.epoch[s]!;
    r2.site[s] = r.site[s]!;
    r.pid[s] = p1;
    r.agent[s] = agent;
    r.epoch[s] = this.epoch;
    r.site[s] = site * 4 + kinds;
  }

  /**
   * Whether an earlier access (program `yp`, agent `yAgent`, after `yEpoch` barriers; a plain store when `yStore`) is
   * ordered before the current one (this program's `agent`; a plain load when `xLoad`): a tl.debugBarrier of the
   * program between them, the same lane of a tile, or a scalar store (made by every lane) before a load.
   */
  private ordered(yp: number, yAgent: number, yEpoch: number, yStore: boolean, agent: number, xLoad: boolean): boolean {
    if (yp !== this.p) return false;
    if (yEpoch < this.epoch) return true;
    if (yAgent >= FIRST_TILE_AGENT) return yAgent === agent;
    return yAgent === 0 && yStore && xLoad;
  }

  private checkWritten(w: WrittenBytes, sh: RegionShadow, at: number, bytes: number, j: number, site: number, lane: number): void {
    const bits = w.bits;
    for (let b = at; b < at + bytes; b++) {
      if (!bits || bits[b] === 0) {
        const s = this.sites[site]!;
        const what = s.kind === 'atomic' ? 'an atomic reads' : 'a load reads';
        throw this.located(
          `uninitialised read in kernel '${this.kernelName}' (${this.describeSite(s, lane)}): ${what} element offset ${j} of ${describeTensor(sh.region)}, which nothing has written: it comes from empty()`,
          s.loc,
          'store the element before reading it, or make the tensor with zeros() or full() if the kernel accumulates into it',
        );
      }
    }
  }

  private markWritten(st: StorageShadow, at: number, bytes: number): void {
    const w = st.written!;
    const bits = (w.bits ??= new Uint8Array(w.size));
    for (let b = at; b < at + bytes; b++) {
      if (bits[b] === 0) {
        bits[b] = 1;
        w.unwritten--;
      }
    }
    if (w.unwritten === 0) {
      markWritten(st.storage as ArrayBuffer);
      st.written = undefined;
    }
  }

  // ---- reports ----

  private programOf(p: number): string {
    const [gx, gy] = this.grid;
    return `program (${p % gx}, ${Math.floor(p / gx) % gy}, ${Math.floor(p / (gx * gy))})`;
  }

  private describeAccess(p: number, site: number, lane: number): string {
    const s = this.sites[site]!;
    if (!s.shape.length) return this.programOf(p);
    const idx: number[] = [];
    let rest = lane;
    for (let d = s.shape.length - 1; d >= 0; d--) {
      idx.unshift(rest % s.shape[d]!);
      rest = Math.floor(rest / s.shape[d]!);
    }
    return `${this.programOf(p)}, tile index [${idx.join(', ')}] of ${s.shape.join('x')}`;
  }

  private race(sh: RegionShadow, j: number, yp: number, yAgent: number, ySite: number, yKind: string, site: number, lane: number, xKind: string): KernelRuntimeError {
    const yLane = yAgent % LANES;
    const x = `${article(xKind)} ${xKind} by ${this.describeAccess(this.p, site, lane)}`;
    const y = `${article(yKind)} ${yKind} by ${this.describeAccess(yp, ySite, yLane)}`;
    const yLoc = this.sites[ySite]!.loc;
    const span = locationSpan(yLoc);
    const hint =
      yp === this.p
        ? 'the lanes of a program run on different threads, and kt orders their accesses only lane by lane (the same index of tiles of one shape): keep each element to one lane, put a tl.debugBarrier() between the accesses, or split the work into two launches'
        : 'the programs of a launch run in no order (on the GPU, at the same time): give each program its own elements, combine them with atomics (tl.atomicAdd, ...), or split the work into two launches';
    return this.located(
      `data race in kernel '${this.kernelName}' on element offset ${j} of ${describeTensor(sh.region)}: ${x} and ${y} (line ${yLoc.line}), with nothing ordering them`,
      this.sites[site]!.loc,
      hint,
      [`the other access, ${y}, is at ${displayPath(yLoc.file)}:${yLoc.line}:${yLoc.col}${span ? `: ${span.lineText.trim()}` : ''}`],
    );
  }

  private located(message: string, loc: Location, hint?: string, notes: string[] = [], Err: typeof KernelRuntimeError = KernelRuntimeError): KernelRuntimeError {
    const outer = outermostLocation(loc);
    const all = loc.callsite ? [`inlined from ${displayPath(outer.file)}:${outer.line}:${outer.col}`, ...notes] : notes;
    return new Err(renderDiagnostic('error', message, locationSpan(loc), hint, all), loc);
  }

  // ---- arithmetic ----

  /** The divisor of an integer division or remainder, checked not to be 0. */
  divisor<T extends number | bigint>(b: T, site: number, lane: number): T {
    if ((b as unknown) === 0 || (b as unknown) === 0n) {
      const s = this.sites[site]!;
      const what = s.op === 'arith.remsi' || s.op === 'arith.remui' ? 'remainder' : 'division';
      throw this.located(
        `integer ${what} by zero in kernel '${this.kernelName}' (${this.describeSite(s, lane)}): the divisor is 0 (${s.element})`,
        s.loc,
        `outside the sanitizer kt defines x / 0 as -1 (all ones) and x % 0 as x, where a GPU leaves them undefined: make sure the divisor is not 0`,
      );
    }
    return b;
  }

  add32(a: number, b: number, site: number, lane: number): number {
    const r = a + b;
    if (r > 2147483647 || r < -2147483648) throw this.overflow(site, lane, `${a} + ${b} = ${r}`, 32, r | 0);
    return r | 0;
  }

  sub32(a: number, b: number, site: number, lane: number): number {
    const r = a - b;
    if (r > 2147483647 || r < -2147483648) throw this.overflow(site, lane, `${a} - ${b} = ${r}`, 32, r | 0);
    return r | 0;
  }

  mul32(a: number, b: number, site: number, lane: number): number {
    const r = a * b;
    if (r > 2147483647 || r < -2147483648) throw this.overflow(site, lane, `${a} * ${b} = ${BigInt(a) * BigInt(b)}`, 32, Math.imul(a, b));
    return r | 0;
  }

  add64(a: bigint, b: bigint, site: number, lane: number): bigint {
    return this.check64(a + b, site, lane, `${a} + ${b}`);
  }

  sub64(a: bigint, b: bigint, site: number, lane: number): bigint {
    return this.check64(a - b, site, lane, `${a} - ${b}`);
  }

  mul64(a: bigint, b: bigint, site: number, lane: number): bigint {
    return this.check64(a * b, site, lane, `${a} * ${b}`);
  }

  /** An i64 offset of a pointer to elements of `bytes` bytes: its byte offset must fit in i64. */
  offset64(off: bigint, bytes: number, site: number, lane: number): bigint {
    const r = off * BigInt(bytes);
    if (r > I64_MAX || r < I64_MIN) throw this.overflow(site, lane, `an offset of ${off} elements of ${bytes} bytes is ${r} bytes, which`, 64, BigInt.asIntN(64, r), 'pointer');
    return off;
  }

  private check64(r: bigint, site: number, lane: number, what: string): bigint {
    if (r > I64_MAX || r < I64_MIN) throw this.overflow(site, lane, `${what} = ${r}`, 64, BigInt.asIntN(64, r));
    return r;
  }

  private overflow(site: number, lane: number, what: string, width: number, wrapped: number | bigint, kind = 'index'): KernelRuntimeError {
    const s = this.sites[site]!;
    return this.located(
      `i${width} overflow in ${kind} arithmetic in kernel '${this.kernelName}' (${this.describeSite(s, lane)}): ${what} is outside i${width} (it wraps to ${wrapped})`,
      s.loc,
      width === 32 ? 'compute the offsets in i64: convert before the arithmetic that overflows, e.g. offs.to(tl.int64) * stride' : 'the offset is far larger than any tensor: check the arithmetic that computes it',
    );
  }

  // ---- hangs ----

  /** The report of a launch stopped by its time limit (`ms`) or by Ctrl-C (ms undefined). */
  stopped(ms: number | undefined): KernelRuntimeError {
    const [gx, gy, gz] = this.grid;
    const why = ms === undefined ? 'was interrupted (Ctrl-C)' : `ran past the sanitizer's time limit of ${formatMs(ms)}`;
    const where = `in ${this.programOf(this.p)} (${this.p} of ${gx * gy * gz} programs done)`;
    const raise = "if the launch is only slow, raise the limit: kt run --sanitize --timeout 10m, KT_SANITIZE_TIMEOUT=10m, or { sanitize: { timeout: 600000 } } on the launch (0: no limit)";
    const Err = ms === undefined ? KernelInterrupted : KernelRuntimeError;
    if (this.loop < 0) {
      const message = `kernel '${this.kernelName}' ${why} ${where}, outside any loop`;
      return new Err(renderDiagnostic('error', message, undefined, ms === undefined ? undefined : raise), undefined);
    }
    const loc = this.sites[this.loop]!.loc;
    return this.located(`kernel '${this.kernelName}' ${why} ${where}, in this loop`, loc, ms === undefined ? undefined : `a loop whose condition never changes hangs on the GPU too; ${raise}`, [], Err);
  }
}

function records(n: number): Records {
  return { pid: new Int32Array(n), agent: new Float64Array(n), epoch: new Int32Array(n), site: new Int32Array(n) };
}

const I64_MAX = 2n ** 63n - 1n;
const I64_MIN = -(2n ** 63n);

const kindName = (kinds: number): string => (kinds & READ ? 'load' : 'atomic');
const article = (word: string): string => (/^[aeiou]/.test(word) ? 'an' : 'a');
const formatMs = (ms: number): string => (ms < 1000 ? `${ms} ms` : ms % 60000 === 0 ? `${ms / 60000} min` : `${ms / 1000} s`);

// ---- Ctrl-C ----
//
// How a launch notices Ctrl-C: a program running on the interpreter is one long synchronous JavaScript call, so
// the event loop, and any process.on('SIGINT') handler, never runs until it ends. Rather than have the programs
// poll an interrupt flag (a load and a branch in every loop iteration, set by a parent process or a thread that
// sees the signal), kt runs a launch as a vm script with `breakOnSigint`: while it runs, Node's SIGINT watchdog
// (a thread of its own, started once per script, not per loop) takes the signal and has V8 terminate the
// JavaScript running, as the time limit's watchdog does. The programs carry no check at all, so nothing is paid
// while no Ctrl-C comes; what says where the launch was is what the sanitized program records anyway (the
// program, the loop it is in) and, for a plain launch, the program id its loop sets before each program.
// The other ways were worse: a supervising parent process (as kt tune's) costs every kt run a second process
// start and still cannot say where the child's launch was, which only the child knows; running launches in a
// worker thread would have to share every tensor's storage with it (plain ArrayBuffers cannot be shared) and
// still stop the worker by terminating it, losing where it was.

/**
 * The report of a launch stopped by Ctrl-C. `kt run` exits with 130 on it (128 + SIGINT, what a shell reports for
 * a process Ctrl-C ends), and so does a script that lets it go uncaught; a script that catches it goes on.
 */
export class KernelInterrupted extends KernelRuntimeError {
  constructor(message: string, loc: Location | undefined) {
    super(message, loc);
    this.name = 'KernelInterrupted';
    exitWith130WhenUncaught();
  }
}

let exitCodeHooked = false;

/**
 * Makes a KernelInterrupted that goes uncaught end the process with 130 rather than Node's 1 for uncaught errors
 * (set in an 'exit' listener: Node sets process.exitCode to 1 just before it emits 'exit' for an uncaught error,
 * then exits with process.exitCode). Installed with the first such report: a process that never has one keeps
 * no listener.
 */
function exitWith130WhenUncaught(): void {
  if (exitCodeHooked) return;
  exitCodeHooked = true;
  process.on('uncaughtExceptionMonitor', (e) => {
    if (e instanceof KernelInterrupted) process.once('exit', () => (process.exitCode = 130));
  });
}

/**
 * The plain interpreted launch under way (interpreter.ts sets it before the grid's first program and clears it
 * after the last, in a `finally` that V8's termination skips), for the report of a Ctrl-C that stops it.
 */
export const plainLaunch: { mem: LaunchMemory | undefined; grid: readonly [number, number, number] } = { mem: undefined, grid: [1, 1, 1] };

/** The report of the last sanitized launch Ctrl-C stopped, for runInterruptible (see there). */
let interruptReport: KernelInterrupted | undefined;

let script: vm.Script | undefined;
let context: vm.Context | undefined;

/**
 * Runs `body` as a vm script (so that Node's watchdogs can stop it). Nested calls are fine: the script reads `run`
 * once. (displayErrors: false leaves the errors passing through as they were: Node would put the line that threw,
 * with an arrow, at the head of their stacks.)
 */
function runScript(body: () => void, options: vm.RunningScriptOptions): void {
  // Named as a file among kt's own (there is none such), so that the stacks users see leave its frame out as kt's.
  script ??= new vm.Script('run()', { filename: fileURLToPath(new URL('./interpreted-launch.vm', import.meta.url)) });
  context ??= vm.createContext({ run: undefined });
  context['run'] = body;
  try {
    script.runInContext(context, { ...options, displayErrors: false });
  } finally {
    context['run'] = undefined;
  }
}

/**
 * Runs `body` (a whole launch) under the sanitizer's time limit and Ctrl-C: either stops the JavaScript running
 * (V8 terminates it, from a watchdog thread), and `stopped` makes the report from where the launch was.
 */
export function runLimited(body: () => void, settings: SanitizeSettings, stopped: (ms: number | undefined) => Error): void {
  const ms = Math.ceil(settings.timeoutMs);
  try {
    runScript(body, { breakOnSigint: true, ...(ms > 0 ? { timeout: ms } : {}) });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw stopped(ms);
    if (code === 'ERR_SCRIPT_EXECUTION_INTERRUPTED') {
      const report = stopped(undefined);
      if (report instanceof KernelInterrupted) interruptReport = report;
      throw report;
    }
    throw e;
  }
}

/**
 * Runs `body` (kt run's work on the interpreter: compiling, launching, checking) so that Ctrl-C stops it with a
 * report rather than killing the process without a word: a sanitized launch's report (the program and the loop,
 * from runLimited), else the plain launch under way (the kernel and the program: a plain program records no
 * loops), else a line saying that no launch was running. Only for work on the interpreter: while the watchdog
 * holds SIGINT, a process blocked in a native call (waiting on the GPU) would not end until the call returns.
 */
export function runInterruptible<T>(body: () => T): T {
  let result: T | undefined;
  interruptReport = undefined;
  plainLaunch.mem = undefined;
  try {
    runScript(() => {
      result = body();
    }, { breakOnSigint: true });
  } catch (e) {
    // Node tells only the innermost script running of a SIGINT, so a sanitized launch's report comes up through
    // here as it is; should a version tell this one too, the report it replaced is kept.
    if ((e as { code?: string }).code !== 'ERR_SCRIPT_EXECUTION_INTERRUPTED') throw e;
    if (interruptReport) throw interruptReport;
    // (Set by the body, which TypeScript does not see: it would take the reset above for the value.)
    const mem = plainLaunch.mem as LaunchMemory | undefined;
    if (!mem) throw new KernelInterrupted('error: interrupted (Ctrl-C) while no kernel was running', undefined);
    const [gx, gy, gz] = plainLaunch.grid;
    const [x, y, z] = mem.pid;
    // One line: a plain program keeps no record of its loops (a sanitized run names the one it is in).
    throw new KernelInterrupted(
      `error: kernel '${mem.kernelName}' was interrupted (Ctrl-C) in program (${x}, ${y}, ${z}) (${x + gx * (y + gy * z)} of ${gx * gy * gz} programs done); under the sanitizer the report shows the loop it is in`,
      undefined,
    );
  }
  return result as T;
}

/**
 * The integer ops of `func` that compute offsets of pointers (those whose results reach an addptr's offset through
 * integer arithmetic, casts, shape ops, selects and loop- or branch-carried values): the sanitizer checks their
 * adds, subtractions and multiplications in i32 and i64 for overflow. Bit operations, shifts and loaded values end
 * the search (random number generators wrap on purpose).
 */
export function indexArithmetic(func: Operation): Set<Operation> {
  const checked = new Set<Operation>();
  const seen = new Set<Value>();
  const work: Value[] = [];
  const push = (v: Value | undefined): void => {
    if (v && !seen.has(v)) {
      seen.add(v);
      work.push(v);
    }
  };
  func.walk((op) => {
    if (op.name === 'tt.addptr') push(op.operands[1]);
  });
  const yields = (b: Block): readonly Value[] => b.terminator?.operands ?? [];
  while (work.length) {
    const v = work.pop()!;
    const def = v.definingOp;
    if (def) {
      const i = def.results.indexOf(v);
      switch (def.name) {
        case 'arith.addi':
        case 'arith.subi':
        case 'arith.muli': {
          const t = elementType(v.type);
          if (t instanceof IntType && (t.width === 32 || t.width === 64)) checked.add(def);
          def.operands.forEach(push);
          break;
        }
        case 'arith.divsi':
        case 'arith.divui':
        case 'arith.remsi':
        case 'arith.remui':
        case 'arith.minsi':
        case 'arith.maxsi':
        case 'arith.minui':
        case 'arith.maxui':
        case 'arith.extsi':
        case 'arith.extui':
        case 'arith.trunci':
        case 'tt.splat':
        case 'tt.broadcast':
        case 'tt.expand_dims':
        case 'tt.reshape':
        case 'tt.trans':
        case 'tt.join':
          def.operands.forEach(push);
          break;
        case 'tt.split':
        case 'tt.gather':
          push(def.operands[0]);
          break;
        case 'arith.select':
          push(def.operands[1]);
          push(def.operands[2]);
          break;
        case 'scf.if':
          for (const r of def.regions) push(yields(r.entry)[i]);
          break;
        case 'scf.for':
          push(def.operands[3 + i]);
          push(yields(def.regions[0]!.entry)[i]);
          break;
        case 'scf.while':
          push(yields(def.regions[0]!.entry)[i + 1]);
          break;
      }
      continue;
    }
    const block = v.ownerBlock;
    const owner = block?.parent?.parent;
    if (!block || !owner) continue;
    const i = block.args.indexOf(v);
    if (owner.name === 'scf.for' && i > 0) {
      push(owner.operands[3 + i - 1]);
      push(yields(block)[i - 1]);
    } else if (owner.name === 'scf.while') {
      const [before, after] = [owner.regions[0]!.entry, owner.regions[1]!.entry];
      if (block === before) {
        push(owner.operands[i]);
        push(yields(after)[i]);
      } else push(yields(before)[i + 1]);
    }
  }
  return checked;
}
