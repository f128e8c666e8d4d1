{
  "targets": [
    {
      "target_name": "flows_blas",
      "sources": ["blas.c", "gemm-avx512.c", "thread-pool.c"],
      "cflags": ["-O3", "-march=native", "-fno-math-errno", "-fno-trapping-math", "-fopenmp-simd"],
      "libraries": ["-lopenblas", "-lpthread"]
    }
  ]
}
