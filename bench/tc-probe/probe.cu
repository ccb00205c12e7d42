// Tensor-core probe: runs each tensor-core PTX instruction that test/support/tensor-core-model.ts models, with inline
// PTX, on an sm_90a GPU, and prints one JSON object per line with every input register, every output register and
// the shared memory involved, so that test/support/tensor-core-probe-check.ts can replay the same inputs through the
// model and report each disagreement. The comparison never trusts this file's own idea of the layouts: inputs are
// just bits, the GPU says what comes out. Two kinds of data per instruction:
//  - "random": small integers in every register or shared-memory slot, so every product is exact and any wrong
//    element placement in the model changes the sums;
//  - "onehot": A is a permuted one-hot matrix and B holds distinct values, placed with this file's transcription of
//    the ISA's fragment formulas and canonical layouts, so that D[m][n] names the B element the hardware used: for a
//    person reading the JSON when something disagrees.
// Plus edge-value data where the ISA is vague: tf32 operands with low mantissa bits set (truncated or rounded?),
// s32 overflow with and without .satfinite, fp8 conversions (every f16 input, f32 edge values), and cvt to tf32.
//
// Build: nvcc -O2 -std=c++17 -gencode=arch=compute_90a,code=sm_90a probe.cu (see run.sh). Needs an sm_90 GPU.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#define CHECK(call)                                                                                           \
  do {                                                                                                        \
    cudaError_t err_ = (call);                                                                                \
    if (err_ != cudaSuccess) {                                                                                \
      printf("{\"kind\":\"error\",\"where\":\"%s:%d\",\"message\":\"%s\"}\n", __FILE__, __LINE__, cudaGetErrorString(err_)); \
      fflush(stdout);                                                                                         \
      exit(1);                                                                                                \
    }                                                                                                         \
  } while (0)

// Device memory and launches go through these, so that -DPROBE_DRY_RUN can build the host side alone (host memory,
// no launches, outputs left zero) to check the JSON and the inputs on a machine without a GPU.
#ifdef PROBE_DRY_RUN
template <class T>
static T* devAlloc(size_t bytes) { return (T*)calloc(bytes, 1); }
static void devFree(void* p) { free(p); }
static void toDevice(void* dst, const void* src, size_t bytes) { memcpy(dst, src, bytes); }
static void toHost(void* dst, const void* src, size_t bytes) { memcpy(dst, src, bytes); }
#define LAUNCH(kernel, grid, block, smem, ...) ((void)0)
#else
template <class T>
static T* devAlloc(size_t bytes) {
  T* p = nullptr;
  CHECK(cudaMalloc(&p, bytes));
  return p;
}
static void devFree(void* p) { CHECK(cudaFree(p)); }
static void toDevice(void* dst, const void* src, size_t bytes) { CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice)); }
static void toHost(void* dst, const void* src, size_t bytes) { CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost)); }
#define LAUNCH(kernel, grid, block, smem, ...)          \
  do {                                                  \
    kernel<<<(grid), (block), (smem)>>>(__VA_ARGS__);   \
    CHECK(cudaGetLastError());                          \
    CHECK(cudaDeviceSynchronize());                     \
  } while (0)
#endif

// ---------------------------------------------------------------------------------------------------------------
// Host helpers: element types, encoders, a deterministic generator, JSON

enum Type { F16, BF16, TF32, E4M3, E5M2, S8, U8, F32, S32 };
static const char* typeName(Type t) {
  static const char* names[] = {"f16", "bf16", "tf32", "e4m3", "e5m2", "s8", "u8", "f32", "s32"};
  return names[t];
}
static int bitsOf(Type t) { return t == F16 || t == BF16 ? 16 : t == TF32 || t == F32 || t == S32 ? 32 : 8; }

static uint32_t f32Bits(float v) {
  uint32_t b;
  memcpy(&b, &v, 4);
  return b;
}

/** The bits of v (an exactly representable small value) as an element of type t. */
static uint32_t encode(Type t, double v) {
  switch (t) {
    case F16: {
      __half_raw r = __half(__float2half_rn((float)v));
      return r.x;
    }
    case BF16: {
      __nv_bfloat16_raw r = __nv_bfloat16(__float2bfloat16_rn((float)v));
      return r.x;
    }
    case E4M3: return __nv_cvt_float_to_fp8((float)v, __NV_SATFINITE, __NV_E4M3);
    case E5M2: return __nv_cvt_float_to_fp8((float)v, __NV_SATFINITE, __NV_E5M2);
    case S8:
    case U8: return (uint32_t)((int)v) & 0xff;
    case TF32:
    case F32: return f32Bits((float)v);
    case S32: return (uint32_t)(int32_t)v;
  }
  return 0;
}

struct Rng {
  uint32_t s;
  explicit Rng(uint32_t seed) : s(seed * 2654435761u + 12345u) {}
  uint32_t next() {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    return s;
  }
  int range(int lo, int hi) { return lo + (int)(next() % (uint32_t)(hi - lo + 1)); }
};

/** Small integers that every type holds exactly and whose sums stay exact. */
static int randomValue(Type t, Rng& r) {
  switch (t) {
    case S8: return r.range(-128, 127);
    case U8: return r.range(0, 255);
    case E4M3: return r.range(-8, 8);
    case E5M2: return r.range(-4, 4);
    default: return r.range(-4, 4);
  }
}

/** A random element's bits; tf32 gets junk in the 13 low bits of non-zero values (dropped or rounded?). */
static uint32_t randomBits(Type t, Rng& r) {
  int v = randomValue(t, r);
  uint32_t b = encode(t, v);
  if (t == TF32 && v != 0) b |= r.next() & 0x1fff;
  return b;
}

static void printHexArray(const uint32_t* v, int n) {
  printf("[");
  for (int i = 0; i < n; i++) printf("%s\"0x%08x\"", i ? "," : "", v[i]);
  printf("]");
}

/** regs[thread * perThread + r] as [[...], ...]. */
static void printRegs(const char* key, const std::vector<uint32_t>& regs, int threads, int perThread) {
  printf(",\"%s\":[", key);
  for (int t = 0; t < threads; t++) {
    if (t) printf(",");
    printHexArray(&regs[t * perThread], perThread);
  }
  printf("]");
}

static void printBytesHex(const char* key, const uint8_t* p, size_t n) {
  printf(",\"%s\":\"", key);
  for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
  printf("\"");
}

// ---------------------------------------------------------------------------------------------------------------
// The ISA's fragment formulas, transcribed (used only to build the one-hot inputs)

// PTX ISA "Matrix Fragments for mma.m16n8k16 / m16n8k8 / m16n8k32": groupID = laneid >> 2, threadID_in_group = laneid % 4.
static void fragA(Type t, int thread, int i, int& row, int& col) {
  int g = (thread & 31) >> 2, tg = thread & 3;
  switch (bitsOf(t)) {
    case 16:
      row = (i < 2 || (i >= 4 && i < 6)) ? g : g + 8;
      col = tg * 2 + (i & 1) + (i >= 4 ? 8 : 0);
      break;
    case 32:
      row = (i == 0 || i == 2) ? g : g + 8;
      col = i < 2 ? tg : tg + 4;
      break;
    default:
      row = (i < 4 || (i >= 8 && i < 12)) ? g : g + 8;
      col = tg * 4 + (i & 3) + (i >= 8 ? 16 : 0);
  }
  row += 16 * (thread >> 5);  // wgmma: warp w of the warpgroup holds rows 16w..16w+15
}
static void fragB(Type t, int lane, int i, int& k, int& n) {
  int g = lane >> 2, tg = lane & 3;
  n = g;
  switch (bitsOf(t)) {
    case 16: k = tg * 2 + (i & 1) + (i >= 2 ? 8 : 0); break;
    case 32: k = tg + (i ? 4 : 0); break;
    default: k = tg * 4 + (i & 3) + (i >= 4 ? 16 : 0);
  }
}
static void fragAcc(int thread, int i, int& row, int& col) {
  int lane = thread & 31;
  row = 16 * (thread >> 5) + (lane >> 2) + ((i >> 1) & 1) * 8;
  col = 8 * (i >> 2) + 2 * (lane & 3) + (i & 1);
}

/** Packs element bits into registers: element i of a thread in register i / perReg at bit (i % perReg) * bits. */
static void put(std::vector<uint32_t>& regs, int perThread, Type t, int thread, int i, uint32_t bits) {
  int eb = bitsOf(t), perReg = 32 / eb;
  uint32_t mask = eb == 32 ? 0xffffffffu : (1u << eb) - 1;
  regs[thread * perThread + i / perReg] |= (bits & mask) << ((i % perReg) * eb);
}

// ---------------------------------------------------------------------------------------------------------------
// mma.sync

enum MmaOp { MMA_F16_F32, MMA_F16_F16, MMA_BF16_F32, MMA_TF32_F32, MMA_S8S8, MMA_S8U8_SAT, MMA_U8U8, MMA_E4M3_F32, MMA_E5M2E4M3_F32, MMA_E4M3E5M2_F16 };

#define MMA_4_4_2_4(INSTR)                                                                                 \
  asm volatile(INSTR " {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%10,%11,%12,%13};\n"                         \
               : "=r"(d[0]), "=r"(d[1]), "=r"(d[2]), "=r"(d[3])                                              \
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "r"(c[0]), "r"(c[1]), "r"(c[2]), "r"(c[3]))
#define MMA_2_4_2_2(INSTR)                                                                                 \
  asm volatile(INSTR " {%0,%1}, {%2,%3,%4,%5}, {%6,%7}, {%8,%9};\n"                                          \
               : "=r"(d[0]), "=r"(d[1])                                                                      \
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "r"(c[0]), "r"(c[1]))

__global__ void mmaKernel(int op, const uint32_t* ga, const uint32_t* gb, const uint32_t* gc, uint32_t* gd) {
  int l = threadIdx.x;
  uint32_t a[4], b[2], c[4], d[4] = {0, 0, 0, 0};
  for (int i = 0; i < 4; i++) a[i] = ga[l * 4 + i], c[i] = gc[l * 4 + i];
  for (int i = 0; i < 2; i++) b[i] = gb[l * 2 + i];
  switch (op) {
    case MMA_F16_F32: MMA_4_4_2_4("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32"); break;
    case MMA_F16_F16: MMA_2_4_2_2("mma.sync.aligned.m16n8k16.row.col.f16.f16.f16.f16"); break;
    case MMA_BF16_F32: MMA_4_4_2_4("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32"); break;
    case MMA_TF32_F32: MMA_4_4_2_4("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32"); break;
    case MMA_S8S8: MMA_4_4_2_4("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32"); break;
    case MMA_S8U8_SAT: MMA_4_4_2_4("mma.sync.aligned.m16n8k32.row.col.satfinite.s32.s8.u8.s32"); break;
    case MMA_U8U8: MMA_4_4_2_4("mma.sync.aligned.m16n8k32.row.col.s32.u8.u8.s32"); break;
    case MMA_E4M3_F32: MMA_4_4_2_4("mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32"); break;
    case MMA_E5M2E4M3_F32: MMA_4_4_2_4("mma.sync.aligned.m16n8k32.row.col.f32.e5m2.e4m3.f32"); break;
    case MMA_E4M3E5M2_F16: MMA_2_4_2_2("mma.sync.aligned.m16n8k32.row.col.f16.e4m3.e5m2.f16"); break;
  }
  for (int i = 0; i < 4; i++) gd[l * 4 + i] = d[i];
}

struct MmaCase {
  MmaOp op;
  Type a, b, c, d;
  bool satfinite;
};

/**
 * Distinct-ish B values for the one-hot runs, where D[m][n] = B[p(m)][n] names the B element the hardware used:
 * idx + 1 for 16-bit and tf32 types (at most 256: exact even in bf16), fp8 codes 1..125 (e4m3) or 1..122 (e5m2) with
 * the sign bit set on the second lap, 8-bit integers modulo their range.
 */
static uint32_t onehotBBits(Type t, int k, int n, int ncols) {
  int idx = k * ncols + n;
  if (t == E4M3 || t == E5M2) {
    int span = t == E4M3 ? 125 : 122;
    return (uint32_t)(1 + idx % span) | (idx / span % 2 ? 0x80u : 0u);
  }
  if (t == S8) return (uint32_t)(idx % 127 + 1);
  if (t == U8) return (uint32_t)(idx % 255 + 1);
  return encode(t, idx + 1);
}

static void runMma(const char* name, const MmaCase& mc, const char* fill, uint32_t seed) {
  const int K = 256 / bitsOf(mc.a);
  std::vector<uint32_t> A(32 * 4, 0), B(32 * 2, 0), C(32 * 4, 0), D(32 * 4, 0);
  Rng rng(seed);
  int aElems = 4 * 32 / bitsOf(mc.a), bElems = 2 * 32 / bitsOf(mc.b), cElems = 4;
  for (int lane = 0; lane < 32; lane++) {
    for (int i = 0; i < aElems; i++) {
      int m, k;
      fragA(mc.a, lane, i, m, k);
      uint32_t bits;
      if (!strcmp(fill, "onehot") || !strcmp(fill, "tf32-low-bits")) bits = encode(mc.a, k == (3 * m + 1) % K ? 1 : 0);
      else if (!strcmp(fill, "overflow")) bits = encode(mc.a, mc.a == U8 ? 255 : 127);
      else bits = randomBits(mc.a, rng);
      put(A, 4, mc.a, lane, i, bits);
    }
    for (int i = 0; i < bElems; i++) {
      int k, n;
      fragB(mc.b, lane, i, k, n);
      uint32_t bits;
      if (!strcmp(fill, "onehot")) bits = onehotBBits(mc.b, k, n, 8);
      else if (!strcmp(fill, "tf32-low-bits")) bits = f32Bits(1.0f) | 0x1800 | (uint32_t)(n << 16);  // (1 + n/128) + 2^-11 + 2^-12
      else if (!strcmp(fill, "overflow")) bits = encode(mc.b, mc.b == U8 ? 255 : 127);
      else bits = randomBits(mc.b, rng);
      put(B, 2, mc.b, lane, i, bits);
    }
    for (int i = 0; i < cElems; i++) {
      int m, n;
      fragAcc(lane, i, m, n);
      double v = !strcmp(fill, "overflow") ? (n % 2 ? 2147483647.0 - 1000 - m : -2147483647.0 + 1000 + m) : !strcmp(fill, "random") ? rng.range(-50, 50) : 0;
      put(C, 4, mc.c, lane, i, mc.c == S32 ? (uint32_t)(int32_t)v : encode(mc.c, v));  // f16: registers 0 and 1
    }
  }
  uint32_t *da = devAlloc<uint32_t>(A.size() * 4), *db = devAlloc<uint32_t>(B.size() * 4), *dc = devAlloc<uint32_t>(C.size() * 4), *dd = devAlloc<uint32_t>(D.size() * 4);
  toDevice(da, A.data(), A.size() * 4);
  toDevice(db, B.data(), B.size() * 4);
  toDevice(dc, C.data(), C.size() * 4);
  LAUNCH(mmaKernel, 1, 32, 0, mc.op, da, db, dc, dd);
  toHost(D.data(), dd, D.size() * 4);
  devFree(da), devFree(db), devFree(dc), devFree(dd);
  int cRegs = mc.c == F16 ? 2 : 4, dRegs = mc.d == F16 ? 2 : 4;
  // The buffers hold 4 registers per lane; f16 accumulators use the first 2.
  printf("{\"kind\":\"mma\",\"name\":\"%s/%s\",\"aType\":\"%s\",\"bType\":\"%s\",\"cType\":\"%s\",\"dType\":\"%s\",\"satfinite\":%s,\"fill\":\"%s\"",
         name, fill, typeName(mc.a), typeName(mc.b), typeName(mc.c), typeName(mc.d), mc.satfinite ? "true" : "false", fill);
  printRegs("a", A, 32, 4);
  printRegs("b", B, 32, 2);
  std::vector<uint32_t> c2(32 * cRegs), d2(32 * dRegs);
  for (int l = 0; l < 32; l++) {
    for (int r = 0; r < cRegs; r++) c2[l * cRegs + r] = C[l * 4 + r];
    for (int r = 0; r < dRegs; r++) d2[l * dRegs + r] = D[l * 4 + r];
  }
  printRegs("c", c2, 32, cRegs);
  printRegs("d", d2, 32, dRegs);
  printf("}\n");
}

// ---------------------------------------------------------------------------------------------------------------
// ldmatrix / stmatrix

static int rowOf(int lane) { return (lane * 37 + 11) % 256; }  // 256 rows of 16 bytes, a scrambled but 1:1 order

__global__ void ldmatrixKernel(uint32_t* out) {
  __shared__ __align__(128) uint16_t s[2048];
  int l = threadIdx.x;
  for (int i = l; i < 2048; i += 32) s[i] = (uint16_t)i;
  __syncthreads();
  uint32_t addr = (uint32_t)__cvta_generic_to_shared(s) + 16 * ((l * 37 + 11) % 256);
  uint32_t r[6][4] = {};
  asm volatile("ldmatrix.sync.aligned.m8n8.x1.shared.b16 {%0}, [%1];" : "=r"(r[0][0]) : "r"(addr));
  asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0,%1}, [%2];" : "=r"(r[1][0]), "=r"(r[1][1]) : "r"(addr));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];" : "=r"(r[2][0]), "=r"(r[2][1]), "=r"(r[2][2]), "=r"(r[2][3]) : "r"(addr));
  asm volatile("ldmatrix.sync.aligned.m8n8.x1.trans.shared.b16 {%0}, [%1];" : "=r"(r[3][0]) : "r"(addr));
  asm volatile("ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16 {%0,%1}, [%2];" : "=r"(r[4][0]), "=r"(r[4][1]) : "r"(addr));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];" : "=r"(r[5][0]), "=r"(r[5][1]), "=r"(r[5][2]), "=r"(r[5][3]) : "r"(addr));
  for (int v = 0; v < 6; v++)
    for (int q = 0; q < 4; q++) out[(v * 32 + l) * 4 + q] = r[v][q];
}

__global__ void stmatrixKernel(int variant, uint8_t* out) {
  __shared__ __align__(128) uint16_t s[2048];
  int l = threadIdx.x;
  for (int i = l; i < 2048; i += 32) s[i] = 0xffff;
  __syncthreads();
  uint32_t addr = (uint32_t)__cvta_generic_to_shared(s) + 16 * ((l * 37 + 11) % 256);
  uint32_t r[4];
  for (int q = 0; q < 4; q++) r[q] = (uint32_t)(l * 8 + 2 * q) | ((uint32_t)(l * 8 + 2 * q + 1 + 0x1000) << 16);
  switch (variant) {
    case 0: asm volatile("stmatrix.sync.aligned.m8n8.x1.shared.b16 [%0], {%1};" ::"r"(addr), "r"(r[0]) : "memory"); break;
    case 1: asm volatile("stmatrix.sync.aligned.m8n8.x2.shared.b16 [%0], {%1,%2};" ::"r"(addr), "r"(r[0]), "r"(r[1]) : "memory"); break;
    case 2: asm volatile("stmatrix.sync.aligned.m8n8.x4.shared.b16 [%0], {%1,%2,%3,%4};" ::"r"(addr), "r"(r[0]), "r"(r[1]), "r"(r[2]), "r"(r[3]) : "memory"); break;
    case 3: asm volatile("stmatrix.sync.aligned.m8n8.x1.trans.shared.b16 [%0], {%1};" ::"r"(addr), "r"(r[0]) : "memory"); break;
    case 4: asm volatile("stmatrix.sync.aligned.m8n8.x2.trans.shared.b16 [%0], {%1,%2};" ::"r"(addr), "r"(r[0]), "r"(r[1]) : "memory"); break;
    case 5: asm volatile("stmatrix.sync.aligned.m8n8.x4.trans.shared.b16 [%0], {%1,%2,%3,%4};" ::"r"(addr), "r"(r[0]), "r"(r[1]), "r"(r[2]), "r"(r[3]) : "memory"); break;
  }
  __syncthreads();
  for (int i = l; i < 2048; i += 32) ((uint16_t*)out)[i] = s[i];
}

static void runLdStMatrix() {
  std::vector<uint32_t> out(6 * 32 * 4);
  uint32_t* dOut = devAlloc<uint32_t>(out.size() * 4);
  LAUNCH(ldmatrixKernel, 1, 32, 0, dOut);
  toHost(out.data(), dOut, out.size() * 4);
  devFree(dOut);
  std::vector<uint32_t> addrs(32);
  for (int l = 0; l < 32; l++) addrs[l] = 16 * rowOf(l);
  const int nums[3] = {1, 2, 4};
  for (int v = 0; v < 6; v++) {
    int num = nums[v % 3];
    printf("{\"kind\":\"ldmatrix\",\"num\":%d,\"trans\":%s,\"smemBytes\":4096,\"smemPattern\":\"u16-index\",\"addrs\":[", num, v >= 3 ? "true" : "false");
    for (int l = 0; l < 32; l++) printf("%s%u", l ? "," : "", addrs[l]);
    printf("]");
    std::vector<uint32_t> d(32 * num);
    for (int l = 0; l < 32; l++)
      for (int q = 0; q < num; q++) d[l * num + q] = out[(v * 32 + l) * 4 + q];
    printRegs("d", d, 32, num);
    printf("}\n");
  }
  uint8_t* dSmem = devAlloc<uint8_t>(4096);
  for (int v = 0; v < 6; v++) {
    LAUNCH(stmatrixKernel, 1, 32, 0, v, dSmem);
    std::vector<uint8_t> smem(4096);
    toHost(smem.data(), dSmem, 4096);
    int num = nums[v % 3];
    printf("{\"kind\":\"stmatrix\",\"num\":%d,\"trans\":%s,\"smemBytes\":4096,\"fill\":65535,\"addrs\":[", num, v >= 3 ? "true" : "false");
    for (int l = 0; l < 32; l++) printf("%s%u", l ? "," : "", addrs[l]);
    printf("]");
    std::vector<uint32_t> r(32 * num);
    for (int l = 0; l < 32; l++)
      for (int q = 0; q < num; q++) r[l * num + q] = (uint32_t)(l * 8 + 2 * q) | ((uint32_t)(l * 8 + 2 * q + 1 + 0x1000) << 16);
    printRegs("r", r, 32, num);
    printBytesHex("smem", smem.data(), smem.size());
    printf("}\n");
  }
  devFree(dSmem);
}

// ---------------------------------------------------------------------------------------------------------------
// cp.async: one thread, three committed groups and one uncommitted copy; a snapshot of shared memory after each wait

__global__ void cpAsyncKernel(const uint8_t* g, uint8_t* snaps) {
  __shared__ __align__(128) uint8_t s[128];
  for (int i = 0; i < 128; i++) s[i] = 0xaa;
  __syncthreads();
  uint32_t sb = (uint32_t)__cvta_generic_to_shared(s);
  // group 0
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4;" ::"r"(sb + 0), "l"(g + 0) : "memory");
  asm volatile("cp.async.ca.shared.global [%0], [%1], 8, %2;" ::"r"(sb + 8), "l"(g + 8), "r"(5) : "memory");
  asm volatile("cp.async.commit_group;" ::: "memory");
  // group 1
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(sb + 16), "l"(g + 16) : "memory");
  asm volatile("cp.async.ca.shared.global [%0], [%1], 16, %2;" ::"r"(sb + 32), "l"(g + 32), "r"(0) : "memory");
  asm volatile("cp.async.commit_group;" ::: "memory");
  // group 2
  asm volatile("{\n .reg .pred p;\n setp.ne.b32 p, %2, 0;\n cp.async.cg.shared.global [%0], [%1], 16, p;\n}\n" ::"r"(sb + 48), "l"(g + 48), "r"(1) : "memory");
  asm volatile("cp.async.ca.shared.global [%0], [%1], 8;" ::"r"(sb + 64), "l"(g + 64) : "memory");
  asm volatile("cp.async.commit_group;" ::: "memory");
  // not committed
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(sb + 80), "l"(g + 80) : "memory");
  asm volatile("cp.async.wait_group 2;" ::: "memory");
  for (int i = 0; i < 128; i++) snaps[0 * 128 + i] = s[i];
  asm volatile("cp.async.wait_group 1;" ::: "memory");
  for (int i = 0; i < 128; i++) snaps[1 * 128 + i] = s[i];
  asm volatile("cp.async.wait_group 0;" ::: "memory");
  for (int i = 0; i < 128; i++) snaps[2 * 128 + i] = s[i];
  asm volatile("cp.async.wait_all;" ::: "memory");
  for (int i = 0; i < 128; i++) snaps[3 * 128 + i] = s[i];
}

static void runCpAsync() {
  std::vector<uint8_t> g(256);
  for (int i = 0; i < 256; i++) g[i] = (uint8_t)((i * 7 + 1) & 255);
  uint8_t *dg = devAlloc<uint8_t>(256), *ds = devAlloc<uint8_t>(4 * 128);
  toDevice(dg, g.data(), 256);
  LAUNCH(cpAsyncKernel, 1, 1, 0, dg, ds);
  std::vector<uint8_t> snaps(4 * 128);
  toHost(snaps.data(), ds, snaps.size());
  devFree(dg), devFree(ds);
  printf("{\"kind\":\"cpasync\",\"smemBytes\":128,\"smemFill\":170");
  printBytesHex("global", g.data(), g.size());
  printf(",\"ops\":[");
  printf("{\"op\":\"copy\",\"cache\":\"ca\",\"dst\":0,\"src\":0,\"cpSize\":4},");
  printf("{\"op\":\"copy\",\"cache\":\"ca\",\"dst\":8,\"src\":8,\"cpSize\":8,\"srcSize\":5},");
  printf("{\"op\":\"commit\"},");
  printf("{\"op\":\"copy\",\"cache\":\"cg\",\"dst\":16,\"src\":16,\"cpSize\":16},");
  printf("{\"op\":\"copy\",\"cache\":\"ca\",\"dst\":32,\"src\":32,\"cpSize\":16,\"srcSize\":0},");
  printf("{\"op\":\"commit\"},");
  printf("{\"op\":\"copy\",\"cache\":\"cg\",\"dst\":48,\"src\":48,\"cpSize\":16,\"ignoreSrc\":true},");
  printf("{\"op\":\"copy\",\"cache\":\"ca\",\"dst\":64,\"src\":64,\"cpSize\":8},");
  printf("{\"op\":\"commit\"},");
  printf("{\"op\":\"copy\",\"cache\":\"cg\",\"dst\":80,\"src\":80,\"cpSize\":16}");
  const char* waits[4] = {"{\"op\":\"wait\",\"n\":2", "{\"op\":\"wait\",\"n\":1", "{\"op\":\"wait\",\"n\":0", "{\"op\":\"waitAll\""};
  for (int w = 0; w < 4; w++) {
    printf(",%s", waits[w]);
    printBytesHex("snapshot", &snaps[w * 128], 128);
    printf("}");
  }
  printf("]}\n");
}

// ---------------------------------------------------------------------------------------------------------------
// wgmma

enum WgVariant {
  WG_F16_F32_SS,       // m64n16k16.f32.f16.f16, trans 0 0
  WG_F16_F32_SS_TT,    // trans-a 1, trans-b 1
  WG_F16_F32_SS_NEGA,  // imm-scale-a -1
  WG_F16_F16_SS,       // f16 accumulators
  WG_BF16_SS,          // bf16
  WG_BF16_SS_TA,       // bf16, trans-a 1
  WG_F16_F32_RS,       // A from registers
  WG_F16_F32_RS_TB,    // A from registers, trans-b 1
  WG_TF32_SS,
  WG_TF32_RS,
  WG_S8U8_SS,
  WG_S8U8_SS_SAT,
  WG_S8S8_RS,
  WG_E4M3_SS,
  WG_E5M2E4M3_SS,
  WG_E4M3E5M2_F16_RS,
  WG_F16_F32_SS_N8,    // m64n8k16
};

// D in registers d[0..7] ("+r": the accumulators are read when scale-d is true), descriptors da/db, scale-d in scaleD.
#define WG_SS8(OP, IMMS)                                                                                              \
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %10, 0;\nwgmma.mma_async.sync.aligned." OP                         \
               " {%0,%1,%2,%3,%4,%5,%6,%7}, %8, %9, p" IMMS ";\n}\n"                                               \
               : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3]), "+r"(d[4]), "+r"(d[5]), "+r"(d[6]), "+r"(d[7])      \
               : "l"(da), "l"(db), "r"(scaleD))
#define WG_SS4(OP, IMMS)                                                                                              \
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %6, 0;\nwgmma.mma_async.sync.aligned." OP " {%0,%1,%2,%3}, %4, %5, p" IMMS ";\n}\n" \
               : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])                                                      \
               : "l"(da), "l"(db), "r"(scaleD))
#define WG_RS8(OP, IMMS)                                                                                              \
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %13, 0;\nwgmma.mma_async.sync.aligned." OP                         \
               " {%0,%1,%2,%3,%4,%5,%6,%7}, {%8,%9,%10,%11}, %12, p" IMMS ";\n}\n"                                   \
               : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3]), "+r"(d[4]), "+r"(d[5]), "+r"(d[6]), "+r"(d[7])      \
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db), "r"(scaleD))
#define WG_RS4(OP, IMMS)                                                                                              \
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %9, 0;\nwgmma.mma_async.sync.aligned." OP                          \
               " {%0,%1,%2,%3}, {%4,%5,%6,%7}, %8, p" IMMS ";\n}\n"                                                  \
               : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])                                                      \
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db), "r"(scaleD))

__global__ void wgmmaKernel(int variant, const uint8_t* image, int imageBytes, uint64_t descA, uint64_t descB, const uint32_t* aRegs, const uint32_t* dIn,
                            int scaleD, uint32_t* dOut, uint32_t* baseOut) {
  extern __shared__ __align__(1024) uint8_t smem[];
  int tid = threadIdx.x;
  for (int i = tid; i < imageBytes / 16; i += 128) ((uint4*)smem)[i] = ((const uint4*)image)[i];
  uint32_t base = (uint32_t)__cvta_generic_to_shared(smem);
  if (tid == 0) *baseOut = base;
  // The writes above went through the generic proxy; wgmma reads through the async proxy.
  asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
  __syncthreads();
  // Descriptors come with start addresses relative to smem: add its shared-window address.
  uint64_t da = descA + ((base & 0x3ffff) >> 4), db = descB + ((base & 0x3ffff) >> 4);
  uint32_t a[4], d[8];
  for (int i = 0; i < 4; i++) a[i] = aRegs[tid * 4 + i];
  for (int i = 0; i < 8; i++) d[i] = dIn[tid * 8 + i];
  asm volatile("wgmma.fence.sync.aligned;" ::: "memory");
  switch (variant) {
    case WG_F16_F32_SS: WG_SS8("m64n16k16.f32.f16.f16", ", 1, 1, 0, 0"); break;
    case WG_F16_F32_SS_TT: WG_SS8("m64n16k16.f32.f16.f16", ", 1, 1, 1, 1"); break;
    case WG_F16_F32_SS_NEGA: WG_SS8("m64n16k16.f32.f16.f16", ", -1, 1, 0, 0"); break;
    case WG_F16_F16_SS: WG_SS4("m64n16k16.f16.f16.f16", ", 1, 1, 0, 0"); break;
    case WG_BF16_SS: WG_SS8("m64n16k16.f32.bf16.bf16", ", 1, 1, 0, 0"); break;
    case WG_BF16_SS_TA: WG_SS8("m64n16k16.f32.bf16.bf16", ", 1, 1, 1, 0"); break;
    case WG_F16_F32_RS: WG_RS8("m64n16k16.f32.f16.f16", ", 1, 1, 0"); break;
    case WG_F16_F32_RS_TB: WG_RS8("m64n16k16.f32.f16.f16", ", 1, 1, 1"); break;
    case WG_TF32_SS: WG_SS8("m64n16k8.f32.tf32.tf32", ", 1, 1"); break;
    case WG_TF32_RS: WG_RS8("m64n16k8.f32.tf32.tf32", ", 1, 1"); break;
    case WG_S8U8_SS: WG_SS8("m64n16k32.s32.s8.u8", ""); break;
    case WG_S8U8_SS_SAT: WG_SS8("m64n16k32.satfinite.s32.s8.u8", ""); break;
    case WG_S8S8_RS: WG_RS8("m64n16k32.s32.s8.s8", ""); break;
    case WG_E4M3_SS: WG_SS8("m64n16k32.f32.e4m3.e4m3", ", 1, 1"); break;
    case WG_E5M2E4M3_SS: WG_SS8("m64n16k32.f32.e5m2.e4m3", ", 1, 1"); break;
    case WG_E4M3E5M2_F16_RS: WG_RS4("m64n16k32.f16.e4m3.e5m2", ", 1, 1"); break;
    case WG_F16_F32_SS_N8: WG_SS4("m64n8k16.f32.f16.f16", ", 1, 1, 0, 0"); break;
  }
  asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");
  asm volatile("wgmma.wait_group.sync.aligned 0;" ::: "memory");
  for (int i = 0; i < 8; i++) dOut[tid * 8 + i] = d[i];
}

struct WgInfo {
  int n;
  Type a, b, d;
  bool transA, transB, regsA, satfinite;
  int scaleA;
};
static WgInfo wgInfo(WgVariant v) {
  switch (v) {
    case WG_F16_F32_SS: return {16, F16, F16, F32, false, false, false, false, 1};
    case WG_F16_F32_SS_TT: return {16, F16, F16, F32, true, true, false, false, 1};
    case WG_F16_F32_SS_NEGA: return {16, F16, F16, F32, false, false, false, false, -1};
    case WG_F16_F16_SS: return {16, F16, F16, F16, false, false, false, false, 1};
    case WG_BF16_SS: return {16, BF16, BF16, F32, false, false, false, false, 1};
    case WG_BF16_SS_TA: return {16, BF16, BF16, F32, true, false, false, false, 1};
    case WG_F16_F32_RS: return {16, F16, F16, F32, false, false, true, false, 1};
    case WG_F16_F32_RS_TB: return {16, F16, F16, F32, false, true, true, false, 1};
    case WG_TF32_SS: return {16, TF32, TF32, F32, false, false, false, false, 1};
    case WG_TF32_RS: return {16, TF32, TF32, F32, false, false, true, false, 1};
    case WG_S8U8_SS: return {16, S8, U8, S32, false, false, false, false, 1};
    case WG_S8U8_SS_SAT: return {16, S8, U8, S32, false, false, false, true, 1};
    case WG_S8S8_RS: return {16, S8, S8, S32, false, false, true, false, 1};
    case WG_E4M3_SS: return {16, E4M3, E4M3, F32, false, false, false, false, 1};
    case WG_E5M2E4M3_SS: return {16, E5M2, E4M3, F32, false, false, false, false, 1};
    case WG_E4M3E5M2_F16_RS: return {16, E4M3, E5M2, F16, false, false, true, false, 1};
    case WG_F16_F32_SS_N8: return {8, F16, F16, F32, false, false, false, false, 1};
  }
  return {};
}

/** A shared-memory operand: where it starts (relative to smem), its layout fields, and K-major or MN-major. */
struct Desc {
  uint32_t start, lbo, sbo, baseOffset;
  int swizzle;  // the descriptor's code: 0 none, 1 128B, 2 64B, 3 32B
};

// PTX ISA "Matrix Descriptor Format": bits 0-13 start >> 4, 16-29 LBO >> 4, 32-45 SBO >> 4, 49-51 base offset,
// 62-63 swizzle mode.
static uint64_t encodeDesc(const Desc& d) {
  return (uint64_t)((d.start & 0x3ffff) >> 4) | ((uint64_t)((d.lbo & 0x3ffff) >> 4) << 16) | ((uint64_t)((d.sbo & 0x3ffff) >> 4) << 32) |
         ((uint64_t)(d.baseOffset & 7) << 49) | ((uint64_t)(d.swizzle & 3) << 62);
}
static int swizzleWidth(int code) { return code == 1 ? 128 : code == 2 ? 64 : code == 3 ? 32 : 16; }

/** The canonical layouts (see canonicalAddress in the model): used only to place the one-hot data. */
static uint32_t canonical(const Desc& d, bool mnMajor, int eb, int mn, int k) {
  int w = swizzleWidth(d.swizzle);
  uint32_t a;
  if (!mnMajor) {
    int kb = k * eb;
    a = d.swizzle == 0 ? d.start + (mn % 8) * 16 + (mn / 8) * d.sbo + (kb / 16) * d.lbo + kb % 16 : d.start + (mn % 8) * w + (mn / 8) * d.sbo + kb;
  } else {
    int mb = mn * eb;
    a = d.swizzle == 0 ? d.start + (mb / 16) * d.sbo + (k % 8) * 16 + (k / 8) * d.lbo + mb % 16 : d.start + (mb / w) * d.lbo + (k % 8) * w + (k / 8) * d.sbo + mb % w;
  }
  if (d.swizzle == 0) return a;
  uint32_t mask = w / 16 - 1;
  return a ^ ((((a >> 7) - d.baseOffset) & mask) << 4);
}

static void putElement(std::vector<uint8_t>& img, uint32_t addr, int eb, uint32_t bits) {
  for (int i = 0; i < eb; i++) img[addr + i] = (uint8_t)(bits >> (8 * i));
}

static const uint32_t IMAGE_BYTES = 16384;  // A in [0, 8192), B in [8192, 16384), relative to smem

struct WgCase {
  const char* name;
  WgVariant v;
  Desc a, b;
  bool experimental;  // the model's reading of this case is a guess (base offset)
};

static void runWgmma(const WgCase& wc, const char* fill, uint32_t seed) {
  WgInfo info = wgInfo(wc.v);
  const int K = 256 / bitsOf(info.a), ebA = bitsOf(info.a) / 8, ebB = bitsOf(info.b) / 8;
  Rng rng(seed);
  bool onehot = !strcmp(fill, "onehot"), overflow = !strcmp(fill, "overflow");
  std::vector<uint8_t> img(IMAGE_BYTES, 0);
  if (!onehot) {
    // Every slot of both regions gets a value, so whatever addresses the hardware reads, the model must read the same.
    for (uint32_t o = 0; o < 8192; o += ebA) putElement(img, o, ebA, overflow ? encode(info.a, (rng.next() & 1) ? 127 : -128) : randomBits(info.a, rng));
    for (uint32_t o = 8192; o < IMAGE_BYTES; o += ebB) putElement(img, o, ebB, overflow ? encode(info.b, 255) : randomBits(info.b, rng));
  } else {
    if (!info.regsA)
      for (int m = 0; m < 64; m++) putElement(img, canonical(wc.a, info.transA, ebA, m, (3 * m + 1) % K), ebA, encode(info.a, 1));
    for (int n = 0; n < info.n; n++)
      for (int k = 0; k < K; k++) putElement(img, canonical(wc.b, info.transB, ebB, n, k), ebB, onehotBBits(info.b, k, n, info.n));
  }
  std::vector<uint32_t> aRegs(128 * 4, 0), dIn(128 * 8, 0), dOut(128 * 8, 0);
  int aElems = 4 * 32 / bitsOf(info.a);
  for (int t = 0; t < 128; t++) {
    for (int i = 0; i < aElems; i++) {
      int m, k;
      fragA(info.a, t, i, m, k);
      put(aRegs, 4, info.a, t, i, onehot ? encode(info.a, k == (3 * m + 1) % K ? 1 : 0) : randomBits(info.a, rng));
    }
    int dElems = info.n / 2;
    for (int i = 0; i < dElems; i++) {
      int m, n;
      fragAcc(t, i, m, n);
      double v = overflow ? (n % 2 ? 2147483647.0 - 100000 - m : -2147483647.0 + 100000 + m) : rng.range(-20, 20);
      put(dIn, 8, info.d, t, i, onehot ? 0xdeadbeefu : info.d == S32 ? (uint32_t)(int32_t)v : encode(info.d, v));
    }
  }
  int scaleD = onehot ? 0 : 1;  // one-hot runs also check that scale-d = 0 ignores D
  uint64_t descA = info.regsA ? 0 : encodeDesc(wc.a), descB = encodeDesc(wc.b);
  uint8_t* dImg = devAlloc<uint8_t>(IMAGE_BYTES);
  uint32_t *dA = devAlloc<uint32_t>(aRegs.size() * 4), *dDin = devAlloc<uint32_t>(dIn.size() * 4), *dDout = devAlloc<uint32_t>(dOut.size() * 4), *dBase = devAlloc<uint32_t>(4);
  toDevice(dImg, img.data(), IMAGE_BYTES);
  toDevice(dA, aRegs.data(), aRegs.size() * 4);
  toDevice(dDin, dIn.data(), dIn.size() * 4);
  LAUNCH(wgmmaKernel, 1, 128, IMAGE_BYTES, wc.v, dImg, (int)IMAGE_BYTES, descA, descB, dA, dDin, scaleD, dDout, dBase);
  uint32_t base = 0;
  toHost(dOut.data(), dDout, dOut.size() * 4);
  toHost(&base, dBase, 4);
  devFree(dImg), devFree(dA), devFree(dDin), devFree(dDout), devFree(dBase);
  int dRegs = info.d == F16 ? info.n / 4 : info.n / 2;
  // The descriptors as the kernel used them: start addresses made absolute.
  uint64_t absA = info.regsA ? 0 : descA + ((base & 0x3ffff) >> 4), absB = descB + ((base & 0x3ffff) >> 4);
  printf("{\"kind\":\"wgmma\",\"name\":\"%s/%s\",\"n\":%d,\"aType\":\"%s\",\"bType\":\"%s\",\"dType\":\"%s\",\"transA\":%s,\"transB\":%s,\"scaleA\":%d,\"scaleB\":1,"
         "\"satfinite\":%s,\"scaleD\":%d,\"aSource\":\"%s\",\"aDesc\":\"0x%016llx\",\"bDesc\":\"0x%016llx\",\"smemBase\":%u,\"experimental\":%s",
         wc.name, fill, info.n, typeName(info.a), typeName(info.b), typeName(info.d), info.transA ? "true" : "false", info.transB ? "true" : "false", info.scaleA,
         info.satfinite ? "true" : "false", scaleD, info.regsA ? "regs" : "smem", (unsigned long long)absA, (unsigned long long)absB, base,
         wc.experimental ? "true" : "false");
  printBytesHex("smem", img.data(), img.size());
  if (info.regsA) printRegs("a", aRegs, 128, 4);
  std::vector<uint32_t> din(128 * dRegs), dout(128 * dRegs);
  for (int t = 0; t < 128; t++)
    for (int r = 0; r < dRegs; r++) din[t * dRegs + r] = dIn[t * 8 + r], dout[t * dRegs + r] = dOut[t * 8 + r];
  printRegs("dIn", din, 128, dRegs);
  printRegs("d", dout, 128, dRegs);
  printf("}\n");
}

// ---------------------------------------------------------------------------------------------------------------
// cvt: fp8, tf32, f16/bf16 .satfinite

enum CvtOp { CVT_E4M3_F32, CVT_E5M2_F32, CVT_E4M3_F16, CVT_E5M2_F16, CVT_F16_E4M3, CVT_F16_E5M2, CVT_TF32_RN, CVT_TF32_RNA, CVT_F16_F32_SAT, CVT_BF16_F32_SAT };

__global__ void cvtKernel(int op, const uint32_t* in, uint32_t* out, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  uint32_t x = in[i], r = 0;
  float f = __uint_as_float(x), g = -f;
  unsigned short h = 0;
  switch (op) {
    // Two inputs per instruction: a -> upper half, b -> lower half; we pass (x, -x) to see the order too.
    case CVT_E4M3_F32: asm("cvt.rn.satfinite.e4m3x2.f32 %0, %1, %2;" : "=h"(h) : "f"(f), "f"(g)); r = h; break;
    case CVT_E5M2_F32: asm("cvt.rn.satfinite.e5m2x2.f32 %0, %1, %2;" : "=h"(h) : "f"(f), "f"(g)); r = h; break;
    // An f16x2 input: x holds one f16 in its low half; the high half gets its negation.
    case CVT_E4M3_F16: asm("cvt.rn.satfinite.e4m3x2.f16x2 %0, %1;" : "=h"(h) : "r"((x & 0xffff) | ((x ^ 0x8000) << 16))); r = h; break;
    case CVT_E5M2_F16: asm("cvt.rn.satfinite.e5m2x2.f16x2 %0, %1;" : "=h"(h) : "r"((x & 0xffff) | ((x ^ 0x8000) << 16))); r = h; break;
    // Two fp8 codes: x's low byte in the low half, its complement in the high half.
    case CVT_F16_E4M3: asm("cvt.rn.f16x2.e4m3x2 %0, %1;" : "=r"(r) : "h"((unsigned short)((x & 0xff) | ((~x & 0xff) << 8)))); break;
    case CVT_F16_E5M2: asm("cvt.rn.f16x2.e5m2x2 %0, %1;" : "=r"(r) : "h"((unsigned short)((x & 0xff) | ((~x & 0xff) << 8)))); break;
    case CVT_TF32_RN: asm("cvt.rn.tf32.f32 %0, %1;" : "=r"(r) : "f"(f)); break;
    case CVT_TF32_RNA: asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(f)); break;
    case CVT_F16_F32_SAT: asm("cvt.rn.satfinite.f16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(f), "f"(g)); break;
    case CVT_BF16_F32_SAT: asm("cvt.rn.satfinite.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(f), "f"(g)); break;
  }
  out[i] = r;
}

/**
 * Prints {"kind":"cvt","op":...,"in":[...] or "inRange":[0,n],"outDigits":w,"out":"..."}: the outputs as one string of
 * w hex digits each (4 for 16-bit results, 8 for 32-bit), to keep the exhaustive runs small.
 */
static void runCvt(const char* name, CvtOp op, const std::vector<uint32_t>& in, bool isRange, int outDigits) {
  int n = (int)in.size();
  uint32_t *dIn = devAlloc<uint32_t>(n * 4), *dOut = devAlloc<uint32_t>(n * 4);
  toDevice(dIn, in.data(), n * 4);
  LAUNCH(cvtKernel, (n + 255) / 256, 256, 0, op, dIn, dOut, n);
  std::vector<uint32_t> out(n);
  toHost(out.data(), dOut, n * 4);
  devFree(dIn), devFree(dOut);
  printf("{\"kind\":\"cvt\",\"op\":\"%s\"", name);
  if (isRange) printf(",\"inRange\":[0,%d]", n);
  else printf(",\"in\":"), printHexArray(in.data(), n);
  printf(",\"outDigits\":%d,\"out\":\"", outDigits);
  for (int i = 0; i < n; i++) printf(outDigits == 4 ? "%04x" : "%08x", out[i]);
  printf("\"}\n");
}

static std::vector<uint32_t> f32EdgeInputs() {
  const float vals[] = {0.0f, -0.0f, 1.0f, -1.0f, 448.0f, 464.0f, 465.0f, 480.0f, 500.0f, 1e9f, 57344.0f, 61439.0f, 61440.0f, 65536.0f, 65504.0f, 65519.0f, 65520.0f,
                        ldexpf(1, -6), ldexpf(1, -9), ldexpf(1, -10), ldexpf(1.5f, -10), ldexpf(3, -10), ldexpf(7.5f, -9), 1.0625f, 1.1875f, ldexpf(1, -14),
                        ldexpf(1, -16), ldexpf(1, -17), ldexpf(3, -17), 0.3f, 1e-30f, 3.0e38f, 3.4e38f, 1.0f + ldexpf(1, -11), 1.0f + ldexpf(3, -11),
                        1.0f + ldexpf(1, -11) + ldexpf(1, -12), 1.0f + ldexpf(1, -8)};
  std::vector<uint32_t> v;
  for (float x : vals) v.push_back(f32Bits(x));
  v.push_back(0x7f800000u), v.push_back(0xff800000u), v.push_back(0x7fc00000u), v.push_back(0xffc00000u), v.push_back(0x7f7fffffu), v.push_back(0x00000001u);
  Rng r(77);
  for (int i = 0; i < 2048; i++) {
    // Random f32 values over exponents 2^-30 .. 2^20, random mantissas: rounding in every position.
    uint32_t e = 97 + r.next() % 51;
    v.push_back((r.next() & 0x80000000u) | (e << 23) | (r.next() & 0x7fffff));
  }
  return v;
}

// ---------------------------------------------------------------------------------------------------------------

int main() {
#ifdef PROBE_DRY_RUN
  printf("{\"kind\":\"device\",\"name\":\"dry run: no GPU, outputs are zero\"}\n");
#else
  cudaDeviceProp prop;
  CHECK(cudaGetDeviceProperties(&prop, 0));
  int driver = 0, runtime = 0;
  cudaDriverGetVersion(&driver);
  cudaRuntimeGetVersion(&runtime);
  printf("{\"kind\":\"device\",\"name\":\"%s\",\"sm\":%d%d,\"driver\":%d,\"runtime\":%d}\n", prop.name, prop.major, prop.minor, driver, runtime);
#endif
  fflush(stdout);

  const struct {
    const char* name;
    MmaCase c;
  } mmas[] = {
      {"m16n8k16.f32.f16.f16.f32", {MMA_F16_F32, F16, F16, F32, F32, false}},
      {"m16n8k16.f16.f16.f16.f16", {MMA_F16_F16, F16, F16, F16, F16, false}},
      {"m16n8k16.f32.bf16.bf16.f32", {MMA_BF16_F32, BF16, BF16, F32, F32, false}},
      {"m16n8k8.f32.tf32.tf32.f32", {MMA_TF32_F32, TF32, TF32, F32, F32, false}},
      {"m16n8k32.s32.s8.s8.s32", {MMA_S8S8, S8, S8, S32, S32, false}},
      {"m16n8k32.satfinite.s32.s8.u8.s32", {MMA_S8U8_SAT, S8, U8, S32, S32, true}},
      {"m16n8k32.s32.u8.u8.s32", {MMA_U8U8, U8, U8, S32, S32, false}},
      {"m16n8k32.f32.e4m3.e4m3.f32", {MMA_E4M3_F32, E4M3, E4M3, F32, F32, false}},
      {"m16n8k32.f32.e5m2.e4m3.f32", {MMA_E5M2E4M3_F32, E5M2, E4M3, F32, F32, false}},
      {"m16n8k32.f16.e4m3.e5m2.f16", {MMA_E4M3E5M2_F16, E4M3, E5M2, F16, F16, false}},
  };
  uint32_t seed = 1;
  for (const auto& m : mmas) {
    runMma(m.name, m.c, "random", seed++);
    runMma(m.name, m.c, "onehot", seed++);
    if (m.c.a == TF32) runMma(m.name, m.c, "tf32-low-bits", seed++);
    if (m.c.d == S32) runMma(m.name, m.c, "overflow", seed++);
  }
  fflush(stdout);

  runLdStMatrix();
  runCpAsync();
  fflush(stdout);

  std::vector<uint32_t> f32in = f32EdgeInputs();
  runCvt("cvt.rn.satfinite.e4m3x2.f32", CVT_E4M3_F32, f32in, false, 4);
  runCvt("cvt.rn.satfinite.e5m2x2.f32", CVT_E5M2_F32, f32in, false, 4);
  std::vector<uint32_t> allF16(65536), allFp8(256);
  for (uint32_t i = 0; i < 65536; i++) allF16[i] = i;
  for (uint32_t i = 0; i < 256; i++) allFp8[i] = i;
  runCvt("cvt.rn.satfinite.e4m3x2.f16x2", CVT_E4M3_F16, allF16, true, 4);
  runCvt("cvt.rn.satfinite.e5m2x2.f16x2", CVT_E5M2_F16, allF16, true, 4);
  runCvt("cvt.rn.f16x2.e4m3x2", CVT_F16_E4M3, allFp8, true, 8);
  runCvt("cvt.rn.f16x2.e5m2x2", CVT_F16_E5M2, allFp8, true, 8);
  runCvt("cvt.rn.tf32.f32", CVT_TF32_RN, f32in, false, 8);
  runCvt("cvt.rna.tf32.f32", CVT_TF32_RNA, f32in, false, 8);
  runCvt("cvt.rn.satfinite.f16x2.f32", CVT_F16_F32_SAT, f32in, false, 8);
  runCvt("cvt.rn.satfinite.bf16x2.f32", CVT_BF16_F32_SAT, f32in, false, 8);
  fflush(stdout);

  // Layouts (start relative to smem; A in [0, 8192), B in [8192, 16384)).
  const Desc kNone = {0, 128, 256, 0, 0}, kNoneB = {8192, 2048, 128, 0, 0};
  const Desc k128 = {0, 16, 1024, 0, 1}, k128B = {8192, 16, 1024, 0, 1};
  const Desc k64 = {0, 16, 512, 0, 2}, k64B = {8192, 16, 512, 0, 2};
  const Desc k32 = {0, 16, 256, 0, 3}, k32B = {8192, 16, 256, 0, 3};
  // MN-major: A is 64 wide in M (128 bytes of f16), B 16 wide in N (32 bytes); K = 16 is two 8-row groups.
  const Desc mNone = {0, 1024, 128, 0, 0}, mNoneB = {8192, 256, 128, 0, 0};
  const Desc m128 = {0, 8192, 1024, 0, 1}, m128B = {8192, 8192, 1024, 0, 1};  // B's 32 bytes of N sit in one 128B atom
  const Desc m64 = {0, 1024, 2048, 0, 2}, m64B = {8192, 1024, 512, 0, 2};
  const Desc m32 = {0, 256, 2048, 0, 3}, m32B = {8192, 256, 512, 0, 3};
  // K stepping inside 128B-swizzled rows of 64 elements: start + 32 bytes is the second k16 block.
  const Desc kStepA = {32, 16, 1024, 0, 1}, kStepB = {8192 + 96, 16, 1024, 0, 1};
  // Experimental: a 128B pattern starting 256 bytes past a 1024-byte boundary, base offset (256 >> 7) & 7 = 2.
  const Desc kBaseA = {256, 16, 1024, 2, 1}, kBaseB = {12288, 16, 1024, 0, 1};  // A now reaches past 8192
  const WgCase wgs[] = {
      {"f16.f32 K none", WG_F16_F32_SS, kNone, kNoneB, false},
      {"f16.f32 K 128B", WG_F16_F32_SS, k128, k128B, false},
      {"f16.f32 K 64B", WG_F16_F32_SS, k64, k64B, false},
      {"f16.f32 K 32B", WG_F16_F32_SS, k32, k32B, false},
      {"f16.f32 MN none", WG_F16_F32_SS_TT, mNone, mNoneB, false},
      {"f16.f32 MN 128B", WG_F16_F32_SS_TT, m128, m128B, false},
      {"f16.f32 MN 64B", WG_F16_F32_SS_TT, m64, m64B, false},
      {"f16.f32 MN 32B", WG_F16_F32_SS_TT, m32, m32B, false},
      {"f16.f32 K 128B scale-a -1", WG_F16_F32_SS_NEGA, k128, k128B, false},
      {"f16.f16 K 64B", WG_F16_F16_SS, k64, k64B, false},
      {"bf16.f32 K 32B", WG_BF16_SS, k32, k32B, false},
      {"bf16.f32 A MN 128B, B K none", WG_BF16_SS_TA, m128, kNoneB, false},
      {"f16.f32 A regs, B K 128B", WG_F16_F32_RS, k128, k128B, false},
      {"f16.f32 A regs, B MN 64B", WG_F16_F32_RS_TB, k128, m64B, false},
      {"tf32.f32 K 128B", WG_TF32_SS, k128, k128B, false},
      {"tf32.f32 K none", WG_TF32_SS, kNone, kNoneB, false},
      {"tf32.f32 A regs, B K 32B", WG_TF32_RS, k128, k32B, false},
      {"s32.s8.u8 K 128B", WG_S8U8_SS, k128, k128B, false},
      {"s32.s8.u8 K none", WG_S8U8_SS, kNone, kNoneB, false},
      {"satfinite.s32.s8.u8 K 128B", WG_S8U8_SS_SAT, k128, k128B, false},
      {"s32.s8.s8 A regs, B K 64B", WG_S8S8_RS, k128, k64B, false},
      {"f32.e4m3 K 128B", WG_E4M3_SS, k128, k128B, false},
      {"f32.e4m3 K none", WG_E4M3_SS, kNone, kNoneB, false},
      {"f32.e5m2.e4m3 K 64B", WG_E5M2E4M3_SS, k64, k64B, false},
      {"f16.e4m3.e5m2 A regs, B K 128B", WG_E4M3E5M2_F16_RS, k128, k128B, false},
      {"m64n8k16 f16.f32 K 32B", WG_F16_F32_SS_N8, k32, k32B, false},
      {"f16.f32 K 128B, start + 32 / + 96 (k stepping)", WG_F16_F32_SS, kStepA, kStepB, false},
      {"f16.f32 K 128B, base offset 2", WG_F16_F32_SS, kBaseA, kBaseB, true},
  };
  for (const auto& w : wgs) {
    runWgmma(w, "random", seed++);
    runWgmma(w, "onehot", seed++);
    if (wgInfo(w.v).d == S32) runWgmma(w, "overflow", seed++);
    fflush(stdout);
  }
  printf("{\"kind\":\"done\"}\n");
  return 0;
}
