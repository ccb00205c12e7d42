"""Triton's @autotune on the tutorial matmul (bench/triton_gpu.py's kernel), for `npm run bench:tune`.

Tunes fp16 M = N = K (argv[1], default 4096) over the configs given as JSON in argv[2] (kt's spec passes its
`triton` space, so both sides sweep the same configs) from a cold Triton cache (a fresh TRITON_CACHE_DIR), and
times the first call: that is Triton's whole tuning, compile and measure. Prints one JSON object.
"""
import json
import os
import sys
import tempfile
import time

os.environ["TRITON_CACHE_DIR"] = tempfile.mkdtemp(prefix="triton-cold-")

import torch  # noqa: E402
import triton  # noqa: E402

from triton_gpu import matmul_kernel  # noqa: E402


def main():
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 4096
    configs = [
        triton.Config({"BLOCK_M": c["BLOCK_M"], "BLOCK_N": c["BLOCK_N"], "BLOCK_K": c["BLOCK_K"], "GROUP_M": c["GROUP_M"]},
                      num_warps=c["numWarps"], num_stages=c["numStages"])
        for c in json.loads(sys.argv[2])
    ]
    tuned = triton.autotune(configs=configs, key=["M", "N", "K"])(matmul_kernel)
    M = N = K = size
    a = torch.randn((M, K), device="cuda", dtype=torch.float16)
    b = torch.randn((K, N), device="cuda", dtype=torch.float16)
    c = torch.empty((M, N), device="cuda", dtype=torch.float16)
    grid = lambda meta: (triton.cdiv(M, meta["BLOCK_M"]) * triton.cdiv(N, meta["BLOCK_N"]),)

    def call():
        tuned[grid](a, b, c, M, N, K, a.stride(0), a.stride(1), b.stride(0), b.stride(1), c.stride(0), c.stride(1),
                    PRECISION="tf32")  # fp16 operands: the precision setting does not apply

    torch.cuda.synchronize()
    start = time.perf_counter()
    call()
    torch.cuda.synchronize()
    tune_s = time.perf_counter() - start
    start = time.perf_counter()
    call()
    torch.cuda.synchronize()
    second_s = time.perf_counter() - start
    err = (c.float() - (a.float() @ b.float())).abs().max().item()
    best = tuned.best_config
    timings = {str(k): v for k, v in getattr(tuned, "configs_timings", {}).items()} if getattr(tuned, "configs_timings", None) else {}
    print(json.dumps({
        "tune_s": tune_s,
        "second_call_s": second_s,
        "configs": len(configs),
        "best": {**best.kwargs, "num_warps": best.num_warps, "num_stages": best.num_stages},
        "best_ms": min((v[0] if isinstance(v, (list, tuple)) else v) for v in timings.values()) if timings else None,
        "max_abs_err": err,
    }))


if __name__ == "__main__":
    main()
