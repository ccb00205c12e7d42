"""Triton's own CPU interpreter (TRITON_INTERPRET=1) on the benchmark cases of bench/interp.ts.

The kernels are the Triton tutorials' (vector add, fused softmax, grouped matmul), written to match kt's
library kernels. Prints one JSON object: {case: median seconds}, plus versions.
"""
import json
import os
import statistics
import sys
import time

os.environ["TRITON_INTERPRET"] = "1"

import numpy  # noqa: E402
import torch  # noqa: E402
import triton  # noqa: E402
import triton.language as tl  # noqa: E402

from triton_kernels import add_kernel, softmax_kernel  # noqa: E402


@triton.jit
def matmul_kernel(a_ptr, b_ptr, c_ptr, M, N, K, stride_am, stride_ak, stride_bk, stride_bn, stride_cm, stride_cn,
                  BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, GROUP_M: tl.constexpr,
                  K_TILES: tl.constexpr):
    pid = tl.program_id(0)
    num_pid_m = tl.cdiv(M, BLOCK_M)
    num_pid_n = tl.cdiv(N, BLOCK_N)
    num_pid_in_group = GROUP_M * num_pid_n
    group_id = pid // num_pid_in_group
    first_pid_m = group_id * GROUP_M
    group_size_m = tl.minimum(num_pid_m - first_pid_m, GROUP_M)
    pid_m = first_pid_m + ((pid % num_pid_in_group) % group_size_m)
    pid_n = (pid % num_pid_in_group) // group_size_m
    offs_am = (pid_m * BLOCK_M + tl.arange(0, BLOCK_M)) % M
    offs_bn = (pid_n * BLOCK_N + tl.arange(0, BLOCK_N)) % N
    offs_k = tl.arange(0, BLOCK_K)
    a_ptrs = a_ptr + (offs_am[:, None] * stride_am + offs_k[None, :] * stride_ak)
    b_ptrs = b_ptr + (offs_k[:, None] * stride_bk + offs_bn[None, :] * stride_bn)
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    # The tutorial loops to tl.cdiv(K, BLOCK_K); Triton 3.6's interpreter cannot use a tensor as a range bound
    # with numpy 2, so the host passes the trip count.
    for k in range(0, K_TILES):
        a = tl.load(a_ptrs, mask=offs_k[None, :] < K - k * BLOCK_K, other=0.0)
        b = tl.load(b_ptrs, mask=offs_k[:, None] < K - k * BLOCK_K, other=0.0)
        acc = tl.dot(a, b, acc)
        a_ptrs += BLOCK_K * stride_ak
        b_ptrs += BLOCK_K * stride_bk
    offs_cm = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_cn = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    c_ptrs = c_ptr + stride_cm * offs_cm[:, None] + stride_cn * offs_cn[None, :]
    tl.store(c_ptrs, acc, mask=(offs_cm[:, None] < M) & (offs_cn[None, :] < N))


def median_seconds(fn, reps):
    fn()  # warm-up: compiles nothing in the interpreter, but fills caches
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    torch.manual_seed(0)
    out = {}
    errors = {}

    def case(key, fn, check):
        try:
            out[key] = median_seconds(fn, reps)
            check()
        except Exception as e:  # report it and go on with the other cases
            errors[key] = repr(e)[:300]

    n = 1 << 20
    x, y = torch.randn(n), torch.randn(n)
    z = torch.empty(n)
    for block in (1024, 128):
        case(f"add-{block}", lambda: add_kernel[(triton.cdiv(n, block),)](x, y, z, n, BLOCK=block), lambda: torch.testing.assert_close(z, x + y))

    s_in = torch.randn(1024, 1000)
    s_out = torch.empty_like(s_in)
    case("softmax", lambda: softmax_kernel[(1024,)](s_out, s_in, s_in.stride(0), s_out.stride(0), 1000, BLOCK=1024), lambda: torch.testing.assert_close(s_out, torch.softmax(s_in, dim=1)))

    a, b = torch.randn(512, 512), torch.randn(512, 512)
    c = torch.empty(512, 512)
    grid = (triton.cdiv(512, 64) * triton.cdiv(512, 64),)
    case("matmul", lambda: matmul_kernel[grid](a, b, c, 512, 512, 512, a.stride(0), a.stride(1), b.stride(0), b.stride(1), c.stride(0), c.stride(1), BLOCK_M=64, BLOCK_N=64, BLOCK_K=64, GROUP_M=8, K_TILES=triton.cdiv(512, 64)), lambda: torch.testing.assert_close(c, a @ b, atol=1e-3, rtol=1e-3))

    print(json.dumps({"seconds": out, "errors": errors, "triton": triton.__version__, "torch": torch.__version__, "numpy": numpy.__version__, "python": sys.version.split()[0]}))


if __name__ == "__main__":
    main()
