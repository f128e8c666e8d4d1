{
  "targets": [
    {
      "target_name": "flows_blas",
      "sources": ["addon.c", "products.c", "elementwise.c", "convolution.c", "coupling.c", "adam.c", "gemm-avx512.c", "thread-pool.c"],
      "cflags": ["-O3", "-march=native", "-fno-math-errno", "-fno-trapping-math", "-fopenmp-simd"],
      "libraries": ["-lopenblas", "-lpthread"]
    }
  ]
}
