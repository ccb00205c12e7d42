"""Triton's side of the tensor-core matmul benchmark (`npm run bench:matmul`): tutorial 03's kernel with its
autotuning configs, and cuBLAS through torch, for each dtype and size asked for.

usage: python3 triton_matmul.py CASES_JSON [--dump DIR]
  CASES_JSON: [{"dtype": "f16"|"bf16"|"tf32"|"i8"|"e4m3"|"e5m2", "M": .., "N": .., "K": .., "epilogue": "none"|"bias_leaky_relu"}]
  --dump DIR: write the best config's TTGIR, PTX and SASS for each case there (to compare with kt's code)

Prints one JSON line per case: Triton's best config and time, cuBLAS's time (where torch has the dtype), both
checked against a float64 product of the same inputs first.
"""
import json
import os
import subprocess
import sys
import tempfile

import torch
import triton
import triton.language as tl

DTYPES = {
    "f16": torch.float16,
    "bf16": torch.bfloat16,
    "tf32": torch.float32,
    "i8": torch.int8,
    "e4m3": torch.float8_e4m3fn,
    "e5m2": torch.float8_e5m2,
}


def configs():
    """Tutorial 03's get_cuda_autotune_config (Triton 3.6), the fp8 ones included."""
    c = lambda m, n, k, s, w: triton.Config({"BLOCK_M": m, "BLOCK_N": n, "BLOCK_K": k, "GROUP_M": 8}, num_stages=s, num_warps=w)
    return [
        c(128, 256, 64, 3, 8), c(64, 256, 32, 4, 4), c(128, 128, 32, 4, 4), c(128, 64, 32, 4, 4),
        c(64, 128, 32, 4, 4), c(128, 32, 32, 4, 4), c(64, 32, 32, 5, 2), c(32, 64, 32, 5, 2),
        c(128, 256, 128, 3, 8), c(256, 128, 128, 3, 8), c(256, 64, 128, 4, 4), c(64, 256, 128, 4, 4),
        c(128, 128, 128, 4, 4), c(128, 64, 64, 4, 4), c(64, 128, 64, 4, 4), c(128, 32, 64, 4, 4),
    ]


@triton.autotune(configs=configs(), key=["M", "N", "K"])
@triton.jit
def matmul_kernel(a_ptr, b_ptr, c_ptr, bias_ptr, M, N, K, stride_am, stride_ak, stride_bk, stride_bn, stride_cm, stride_cn,
                  BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, GROUP_M: tl.constexpr,
                  ACC_INT: tl.constexpr, EPILOGUE: tl.constexpr):
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
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.int32 if ACC_INT else tl.float32)
    for k in range(0, tl.cdiv(K, BLOCK_K)):
        a = tl.load(a_ptrs, mask=offs_k[None, :] < K - k * BLOCK_K, other=0.0)
        b = tl.load(b_ptrs, mask=offs_k[:, None] < K - k * BLOCK_K, other=0.0)
        # An int8 dot accumulates in int32 only when asked (out_dtype defaults to float32).
        acc = tl.dot(a, b, acc, out_dtype=tl.int32 if ACC_INT else tl.float32)
        a_ptrs += BLOCK_K * stride_ak
        b_ptrs += BLOCK_K * stride_bk
    offs_cm = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_cn = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    if EPILOGUE == "bias_leaky_relu":
        bias = tl.load(bias_ptr + offs_cn, mask=offs_cn < N, other=0.0)
        acc = acc + bias[None, :]
        acc = tl.where(acc >= 0, acc, 0.01 * acc)
    c_ptrs = c_ptr + stride_cm * offs_cm[:, None] + stride_cn * offs_cn[None, :]
    tl.store(c_ptrs, acc.to(c_ptr.dtype.element_ty), mask=(offs_cm[:, None] < M) & (offs_cn[None, :] < N))


def inputs(dtype, M, N, K):
    g = torch.Generator(device="cuda").manual_seed(0)
    if dtype == "i8":
        a = torch.randint(-8, 8, (M, K), device="cuda", dtype=torch.int8, generator=g)
        b = torch.randint(-8, 8, (K, N), device="cuda", dtype=torch.int8, generator=g)
    else:
        a = torch.randn((M, K), device="cuda", generator=g).to(DTYPES[dtype])
        b = torch.randn((K, N), device="cuda", generator=g).to(DTYPES[dtype])
    if dtype in ("e4m3", "e5m2", "i8"):
        # As tutorial 03 does for fp8: B stored K-contiguous (its transpose is row-major), since wgmma reads 8-bit B
        # only K-major (kt's benchmark stores it the same way).
        b = b.T.contiguous().T
    return a, b


def run_case(case, dump):
    dtype, M, N, K = case["dtype"], case["M"], case["N"], case["K"]
    epilogue = case.get("epilogue", "none")
    a, b = inputs(dtype, M, N, K)
    out_dtype = {"i8": torch.int32, "tf32": torch.float32, "e4m3": torch.float16, "e5m2": torch.float16}.get(dtype, DTYPES[dtype])
    c = torch.empty((M, N), device="cuda", dtype=out_dtype)
    bias = torch.randn((N,), device="cuda", dtype=torch.float32)
    grid = lambda meta: (triton.cdiv(M, meta["BLOCK_M"]) * triton.cdiv(N, meta["BLOCK_N"]),)
    torch.backends.cuda.matmul.allow_tf32 = dtype == "tf32"

    def call():
        return matmul_kernel[grid](a, b, c, bias, M, N, K, a.stride(0), a.stride(1), b.stride(0), b.stride(1), c.stride(0), c.stride(1),
                                   ACC_INT=dtype == "i8", EPILOGUE=epilogue)

    compiled = call()
    torch.cuda.synchronize()
    ref = a.double() @ b.double()
    if epilogue == "bias_leaky_relu":
        ref = ref + bias.double()[None, :]
        ref = torch.where(ref >= 0, ref, 0.01 * ref)
    err = ((c.double() - ref).norm() / ref.norm()).item()
    ms = triton.testing.do_bench(call, warmup=25, rep=200, return_mode="median")
    flops = 2.0 * M * N * K
    best = matmul_kernel.best_config
    result = {
        **case,
        "triton_ms": ms,
        "triton_tflops": flops / ms / 1e9,
        "triton_rel_err": err,
        "triton_best": {**best.kwargs, "num_warps": best.num_warps, "num_stages": best.num_stages},
    }
    # cuBLAS through torch, where torch's matmul takes the dtype.
    try:
        if dtype in ("f16", "bf16", "tf32") and epilogue == "none":
            out = torch.empty_like(c)
            cublas = lambda: torch.matmul(a, b, out=out)
            result["cublas_ms"] = triton.testing.do_bench(cublas, warmup=25, rep=200, return_mode="median")
        elif dtype == "i8" and epilogue == "none":
            cublas = lambda: torch._int_mm(a, b)
            result["cublas_ms"] = triton.testing.do_bench(cublas, warmup=25, rep=200, return_mode="median")
        elif dtype in ("e4m3", "e5m2") and epilogue == "none":
            one = torch.tensor(1.0, device="cuda")
            cublas = lambda: torch._scaled_mm(a, b, scale_a=one, scale_b=one, out_dtype=torch.float16)
            result["cublas_ms"] = triton.testing.do_bench(cublas, warmup=25, rep=200, return_mode="median")
        if "cublas_ms" in result:
            result["cublas_tflops"] = flops / result["cublas_ms"] / 1e9
    except Exception as e:  # a dtype or shape torch's library refuses: report why
        result["cublas_error"] = str(e).splitlines()[0][:200]
    if dump:
        name = f"triton-{dtype}-{M}x{N}x{K}-{epilogue}"
        for kind in ("ttgir", "ptx"):
            with open(os.path.join(dump, f"{name}.{kind}"), "w") as f:
                f.write(compiled.asm[kind])
        with tempfile.NamedTemporaryFile(suffix=".cubin", delete=False) as f:
            f.write(compiled.asm["cubin"])
        sass = subprocess.run(["cuobjdump", "-sass", f.name], capture_output=True, text=True).stdout
        with open(os.path.join(dump, f"{name}.sass"), "w") as f:
            f.write(sass)
        result["sass_mma"] = sorted({w for line in sass.splitlines() for w in line.split() if w.startswith(("HGMMA", "HMMA", "QGMMA", "IGMMA", "IMMA"))})[:6]
    return result


def main():
    cases = json.loads(sys.argv[1])
    dump = sys.argv[sys.argv.index("--dump") + 1] if "--dump" in sys.argv else None
    for case in cases:
        try:
            print(json.dumps(run_case(case, dump)), flush=True)
        except Exception as e:
            print(json.dumps({**case, "error": str(e).splitlines()[0][:300]}), flush=True)


if __name__ == "__main__":
    main()
