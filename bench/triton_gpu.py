"""Triton on the GPU, on the cases of bench/gpu.ts, for the side-by-side table `npm run bench` prints.

The kernels are the Triton tutorials' (01 vector add, 02 fused softmax, 05 layer norm forward, 03 matmul),
with the same block sizes and warps kt uses for each case (given on the command line as JSON). Times are
medians from triton.testing.do_bench (CUDA events, L2 flushed between runs). Launch overhead is host time
per launch of a tiny kernel: in batches with an uncounted synchronisation between them, and over one long
back-to-back run synchronised once at the end. Prints one JSON object.
"""
import json
import sys
import time

import torch
import triton
import triton.language as tl

from triton_kernels import add_kernel, softmax_kernel


@triton.jit
def layernorm_kernel(X, Y, W, B, Mean, Rstd, stride, N, eps, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    Y += row * stride
    X += row * stride
    acc = tl.zeros([BLOCK], dtype=tl.float32)
    for off in range(0, N, BLOCK):
        cols = off + tl.arange(0, BLOCK)
        acc += tl.load(X + cols, mask=cols < N, other=0.).to(tl.float32)
    mean = tl.sum(acc, axis=0) / N
    acc = tl.zeros([BLOCK], dtype=tl.float32)
    for off in range(0, N, BLOCK):
        cols = off + tl.arange(0, BLOCK)
        x = tl.load(X + cols, mask=cols < N, other=0.).to(tl.float32)
        x = tl.where(cols < N, x - mean, 0.)
        acc += x * x
    var = tl.sum(acc, axis=0) / N
    rstd = 1 / tl.sqrt(var + eps)
    tl.store(Mean + row, mean)
    tl.store(Rstd + row, rstd)
    for off in range(0, N, BLOCK):
        cols = off + tl.arange(0, BLOCK)
        mask = cols < N
        w = tl.load(W + cols, mask=mask)
        b = tl.load(B + cols, mask=mask)
        x = tl.load(X + cols, mask=mask, other=0.).to(tl.float32)
        tl.store(Y + cols, (x - mean) * rstd * w + b, mask=mask)


@triton.jit
def matmul_kernel(a_ptr, b_ptr, c_ptr, M, N, K, stride_am, stride_ak, stride_bk, stride_bn, stride_cm, stride_cn,
                  BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, GROUP_M: tl.constexpr,
                  PRECISION: tl.constexpr):
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
    for k in range(0, tl.cdiv(K, BLOCK_K)):
        a = tl.load(a_ptrs, mask=offs_k[None, :] < K - k * BLOCK_K, other=0.0)
        b = tl.load(b_ptrs, mask=offs_k[:, None] < K - k * BLOCK_K, other=0.0)
        acc = tl.dot(a, b, acc, input_precision=PRECISION)
        a_ptrs += BLOCK_K * stride_ak
        b_ptrs += BLOCK_K * stride_bk
    offs_cm = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_cn = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    c_ptrs = c_ptr + stride_cm * offs_cm[:, None] + stride_cn * offs_cn[None, :]
    tl.store(c_ptrs, acc, mask=(offs_cm[:, None] < M) & (offs_cn[None, :] < N))


def bench(fn):
    return triton.testing.do_bench(fn, warmup=25, rep=200, return_mode="median")


def main():
    cfg = json.loads(sys.argv[1])
    dev = "cuda"
    out = {"triton": triton.__version__, "torch": torch.__version__, "device": torch.cuda.get_device_name()}
    torch.manual_seed(0)

    c = cfg["add"]
    n = c["n"]
    x, y = torch.randn(n, device=dev), torch.randn(n, device=dev)
    z = torch.empty_like(x)
    run = lambda: add_kernel[(triton.cdiv(n, c["BLOCK"]),)](x, y, z, n, BLOCK=c["BLOCK"], num_warps=c["numWarps"])
    run()
    assert torch.allclose(z, x + y)
    out["add_ms"] = bench(run)
    out["copy_ms"] = bench(lambda: z.copy_(x))
    del x, y, z

    c = cfg["softmax"]
    M, N = c["M"], c["N"]
    x = torch.randn(M, N, device=dev)
    y = torch.empty_like(x)
    run = lambda: softmax_kernel[(M,)](y, x, x.stride(0), y.stride(0), N, BLOCK=c["BLOCK"], num_warps=c["numWarps"])
    run()
    assert torch.allclose(y, torch.softmax(x, dim=1), atol=1e-6)
    out["softmax_ms"] = bench(run)
    out["softmax_torch_ms"] = bench(lambda: torch.softmax(x, dim=1))
    del x, y

    c = cfg["layernorm"]
    M, N = c["M"], c["N"]
    x = torch.randn(M, N, device=dev)
    w, b = torch.randn(N, device=dev), torch.randn(N, device=dev)
    y = torch.empty_like(x)
    mean, rstd = torch.empty(M, device=dev), torch.empty(M, device=dev)
    run = lambda: layernorm_kernel[(M,)](x, y, w, b, mean, rstd, x.stride(0), N, 1e-5, BLOCK=c["BLOCK"], num_warps=c["numWarps"])
    run()
    assert torch.allclose(y, torch.nn.functional.layer_norm(x, (N,), w, b, 1e-5), atol=1e-4)
    out["layernorm_ms"] = bench(run)
    out["layernorm_torch_ms"] = bench(lambda: torch.nn.functional.layer_norm(x, (N,), w, b, 1e-5))
    del x, y

    c = cfg["matmul"]
    M = N = K = c["size"]
    a, b = torch.randn(M, K, device=dev), torch.randn(K, N, device=dev)
    cm = torch.empty(M, N, device=dev)
    for precision in ("ieee", "tf32"):
        grid = (triton.cdiv(M, c["BLOCK_M"]) * triton.cdiv(N, c["BLOCK_N"]),)
        run = lambda: matmul_kernel[grid](a, b, cm, M, N, K, a.stride(0), a.stride(1), b.stride(0), b.stride(1), cm.stride(0), cm.stride(1),
                                          BLOCK_M=c["BLOCK_M"], BLOCK_N=c["BLOCK_N"], BLOCK_K=c["BLOCK_K"], GROUP_M=c["GROUP_M"],
                                          PRECISION=precision, num_warps=c["numWarps"])
        run()
        ref = torch.matmul(a.double(), b.double()).float()
        assert torch.allclose(cm, ref, atol=1e-1 if precision == "tf32" else 1e-3, rtol=1e-2), precision
        out[f"matmul_{precision}_ms"] = bench(run)
    del a, b, cm

    c = cfg["launch"]
    n = c["n"]
    x, y = torch.randn(n, device=dev), torch.randn(n, device=dev)
    z = torch.empty_like(x)
    for _ in range(100):
        add_kernel[(1,)](x, y, z, n, BLOCK=c["BLOCK"])
    torch.cuda.synchronize()
    launches, batch = c["launches"], c["batch"]
    host = 0.0
    for _ in range(0, launches, batch):
        t = time.perf_counter()
        for _ in range(batch):
            add_kernel[(1,)](x, y, z, n, BLOCK=c["BLOCK"])
        host += time.perf_counter() - t
        torch.cuda.synchronize()
    out["launch_host_us"] = host / launches * 1e6
    t = time.perf_counter()
    for _ in range(launches):
        add_kernel[(1,)](x, y, z, n, BLOCK=c["BLOCK"])
    torch.cuda.synchronize()
    out["launch_us"] = (time.perf_counter() - t) / launches * 1e6

    print(json.dumps(out))


if __name__ == "__main__":
    main()
